import { checkRunAnomalies, scanAnomalies } from '../capabilities/monitoring/anomalies.js';
import type { AnomalyCheckInput, ScanAnomaliesInput } from '../domain/monitoring/index.js';
import { resolveAlertsQuietly } from '../capabilities/alerts/service.js';
import { closedAnomalyIncidentsToResolve } from '../db/repositories/alerts.js';
import type { ActivityDeps } from './deps.js';
import { alertingDeps, deliveryWindow } from './alerting.js';
import { heartbeat } from './heartbeat.js';

/** The anomaly activities: adapters around capabilities/monitoring (the CLI's `anomalies check` uses it too). */
export function createAnomalyActivities(deps: ActivityDeps) {
  const alerting = alertingDeps(deps);
  /**
   * Resolve messages for alerted incidents that are closed (by this call or by one whose worker died before it
   * sent them): read from the tables, not from this call's changes, so a retry still sends them. Never throws.
   */
  const resolveClosed = async (targets: readonly string[] | null) => {
    const closed = await closedAnomalyIncidentsToResolve(deps.db, targets).catch((error: Error) => {
      deps.log.error({ error: alerting.redact(error.message) }, 'closed incidents to resolve could not be read');
      return [];
    });
    await resolveAlertsQuietly(
      alerting,
      closed.map((c) => ({ incidentKey: c.incidentKey, resolution: `anomaly incident closed (${c.reason})` })),
      deliveryWindow(),
    );
  };
  return {
    /** The pre-backup workflow's check of its finished run, with incident reconciliation on its first check. */
    checkRunAnomalies: async (input: AnomalyCheckInput) => {
      const outcome = await checkRunAnomalies(deps, input);
      await resolveClosed([input.target]);
      return outcome;
    },
    /** The hourly scan over every target; heartbeats once per target. */
    scanAnomalies: async (input: ScanAnomaliesInput) => {
      const summary = await scanAnomalies(deps, input, heartbeat);
      await resolveClosed(null);
      return summary;
    },
  };
}
