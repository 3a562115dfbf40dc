import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import type { AnomalyMonitorInput, AnomalyMonitorResult } from '../domain/monitoring/contract.js';
import { DEFAULT_SCAN_LOOKBACK_HOURS, validateAnomalyMonitorInput } from '../domain/monitoring/inputs.js';
import { alertNewIncidents, exponentialRetry, rejectInvalidInput } from './glue.js';

// A scan reads every target's recent history: minutes for a large fleet, with a heartbeat per target.
const scanning = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: exponentialRetry({ initial: '5s', max: '2m', attempts: 5 }),
});

/**
 * Scans all targets' runs since `since` (default: the last 24 h) for anomalies and EWMA drift, reconciles
 * incidents in PostgreSQL and raises one alert per newly opened critical incident. Started hourly by the
 * `sentinel/anomaly-scan` schedule, or by hand as `anomaly-scan/<ISO time>` (`sentinel anomalies scan`).
 */
export async function anomalyMonitorWorkflow(input: AnomalyMonitorInput = {}): Promise<AnomalyMonitorResult> {
  const now = Date.now();
  rejectInvalidInput('anomaly monitor input', validateAnomalyMonitorInput(input, now));
  const { workflowId } = workflowInfo();
  const since = input?.since ? new Date(input.since).toISOString() : new Date(now - DEFAULT_SCAN_LOOKBACK_HOURS * 3_600_000).toISOString();

  const { alerts, ...summary } = await scanning.scanAnomalies({ since, until: new Date(now).toISOString(), callerId: workflowId });
  // An undeliverable alert does not fail the scan: it is reported in `alertsFailed` (the incident keeps no stored
  // alert, so the next scan sends it after a grace period).
  const { sent: alertsSent, failed: alertsFailed } = await alertNewIncidents(alerts, workflowId);
  setCurrentDetails(
    `${summary.counts.targets} targets, ${summary.counts.scored} runs scored, ${summary.counts.critical} critical, ${alertsSent.length} new incident alert(s)`,
  );
  return { workflowId, ...summary, alertsSent, alertsFailed };
}
