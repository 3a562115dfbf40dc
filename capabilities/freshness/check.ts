import type { Logger } from 'pino';
import type pg from 'pg';
import {
  closeFreshnessIncident,
  incidentsAwaitingAlert,
  openFreshnessIncidents,
  openStaleIncident,
  resolvedAlertKey,
  runSummaries,
  staleAlertKey,
  type FreshnessIncident,
} from '../../db/repositories/freshness.js';
import { assessFreshness } from '../../domain/freshness/assess.js';
import type { CheckFreshnessInput, FreshnessAlert, FreshnessCheckSummary, TargetFreshness } from '../../domain/freshness/contract.js';
import { formatDuration, freshnessObjective, settingsWarnings } from '../../domain/freshness/objective.js';
import { SettingsError, type SentinelSettings } from '../../domain/settings/schema.js';
import { invalidInput } from '../../platform/failures.js';
import { describeSchedules, type ScheduleLookup } from './schedules.js';

/** Targets listed in a check's result (the counts cover all): a result must stay far below Temporal's payload limit. */
export const MAX_LISTED = 100;
/** Alerts per pass; the rest are sent by the next pass (they stay pending in the database). */
export const MAX_ALERTS_PER_PASS = 100;
/** After this, a pending alert of another caller (one killed before sending) is sent by whoever checks next. */
export const ALERT_GRACE_MINUTES = 10;

export interface FreshnessDeps {
  db: pg.Pool;
  log: Logger;
  loadSettings: () => Promise<SentinelSettings>;
}

/**
 * One freshness pass over every target in sentinel.yaml: the age of each target's newest successful backup (one
 * SQL statement for all targets) against its objective; opens a `stale-backup` incident for a target past it,
 * closes the open incident of a target backed up again (or no longer monitored), and returns the alerts to send:
 * every incident whose alert is not stored yet (so a retried or killed pass loses none and doubles none). The
 * pre-backup schedules are described through `schedules` (the Temporal client): paused and missing ones are
 * reported. One target's failure (its schedule could not be described) never sinks the pass.
 */
export async function checkFreshness(
  deps: FreshnessDeps,
  input: CheckFreshnessInput,
  schedules: ScheduleLookup | null,
  onProgress: (progress: Record<string, unknown>) => void = () => undefined,
): Promise<FreshnessCheckSummary> {
  if (typeof input?.callerId !== 'string' || input.callerId === '') throw invalidInput('invalid freshness check input: callerId must be a non-empty string');
  let settings: SentinelSettings;
  try {
    settings = await deps.loadSettings();
  } catch (error) {
    if (error instanceof SettingsError) throw invalidInput(error.message);
    throw error;
  }
  const now = new Date();
  const targets = settings.targets;
  const objectives = new Map(targets.map((t) => [t.name, freshnessObjective(t)]));
  const summaries = new Map((await runSummaries(deps.db, [...objectives.keys()])).map((s) => [s.target, s]));
  onProgress({ step: 'runs read', targets: targets.length });
  const scheduled = targets.filter((t) => t.schedule !== undefined).map((t) => t.name);
  const scheduleStates = await describeSchedules(schedules, scheduled, onProgress);

  const open = new Map((await openFreshnessIncidents(deps.db)).map((i) => [i.target, i]));
  const results: TargetFreshness[] = [];
  const failedTargets: FreshnessCheckSummary['failedTargets'] = [];
  let opened = 0;
  let resolved = 0;
  for (const [index, target] of targets.entries()) {
    if (index % 1000 === 999) onProgress({ step: 'incidents', index, of: targets.length });
    const objective = objectives.get(target.name)!;
    const runs = summaries.get(target.name);
    const { state, ageMs } = assessFreshness(objective, runs?.lastSuccessAt ?? null, now);
    const schedule = target.schedule === undefined ? { id: null, state: 'not-declared' as const, nextRunAt: null } : scheduleStates.get(target.name)!;
    if (schedule.error) failedTargets.push({ target: target.name, error: `schedule ${schedule.id}: ${schedule.error}` });
    let incident = open.get(target.name) ?? null;
    if (state === 'stale' && incident === null) {
      incident = await openStaleIncident(deps.db, {
        target: target.name,
        openedAt: now,
        openedBy: input.callerId,
        maxAgeSeconds: objective.maxAgeMs! / 1000,
        lastSuccessId: runs?.lastSuccessId ?? null,
        lastSuccessAt: runs?.lastSuccessAt ?? null,
        details: { ageSeconds: ageMs === null ? null : ageMs / 1000, maxAgeSource: objective.source, schedule: { id: schedule.id, state: schedule.state } },
      });
      if (incident) {
        opened++;
        deps.log.warn({ target: target.name, incidentId: incident.id, ageSeconds: ageMs === null ? null : ageMs / 1000 }, 'stale-backup incident opened');
      } else incident = (await openFreshnessIncidents(deps.db, target.name))[0] ?? null; // another pass opened it meanwhile
    } else if (state !== 'stale' && incident !== null) {
      const reason = state === 'fresh' ? 'recovered' : 'unmonitored';
      if (
        await closeFreshnessIncident(deps.db, {
          id: incident.id,
          closedAt: now,
          reason,
          closedBy: input.callerId,
          closedByBackupId: reason === 'recovered' ? (runs?.lastSuccessId ?? null) : null,
        })
      ) {
        resolved++;
        deps.log.info({ target: target.name, incidentId: incident.id, reason }, 'stale-backup incident closed');
      }
      incident = null;
    }
    results.push({
      target: target.name,
      state,
      maxAgeSeconds: objective.maxAgeMs === null ? null : objective.maxAgeMs / 1000,
      maxAgeSource: objective.source,
      lastSuccessAt: runs?.lastSuccessAt?.toISOString() ?? null,
      ageSeconds: ageMs === null ? null : Math.round(ageMs / 1000),
      schedule,
      incidentId: incident?.id ?? null,
    });
  }
  // Incidents of targets that left sentinel.yaml: nobody watches them any more, so they close as unmonitored.
  for (const incident of open.values()) {
    if (objectives.has(incident.target)) continue;
    if (await closeFreshnessIncident(deps.db, { id: incident.id, closedAt: now, reason: 'unmonitored', closedBy: input.callerId, closedByBackupId: null })) {
      resolved++;
      deps.log.info({ target: incident.target, incidentId: incident.id, reason: 'unmonitored' }, 'stale-backup incident closed');
    }
  }

  const byTarget = new Map(results.map((r) => [r.target, r]));
  const pending = await incidentsAwaitingAlert(deps.db, input.callerId, ALERT_GRACE_MINUTES, MAX_ALERTS_PER_PASS);
  const alerts = [...pending.opened.map((i) => staleAlert(i, byTarget.get(i.target))), ...pending.resolved.map((i) => resolvedAlert(i))];

  const needsLook = results.filter((r) => r.state === 'stale' || (r.schedule.state !== 'active' && r.schedule.state !== 'not-declared'));
  needsLook.sort((a, b) => Number(b.state === 'stale') - Number(a.state === 'stale') || a.target.localeCompare(b.target));
  const withSchedule = (state: string) => results.filter((r) => r.schedule.state === state).length;
  const counts = {
    targets: results.length,
    withObjective: results.filter((r) => r.state !== 'unmonitored').length,
    fresh: results.filter((r) => r.state === 'fresh').length,
    stale: results.filter((r) => r.state === 'stale').length,
    neverBackedUp: results.filter((r) => r.state === 'stale' && r.lastSuccessAt === null).length,
    schedulesPaused: withSchedule('paused'),
    schedulesMissing: withSchedule('missing'),
    opened,
    resolved,
  };
  const problemSchedules = needsLook.filter((r) => r.schedule.state === 'paused' || r.schedule.state === 'missing');
  if (problemSchedules.length > 0)
    deps.log.warn(
      { schedules: problemSchedules.slice(0, 20).map((r) => `${r.schedule.id} (${r.schedule.state})`), count: problemSchedules.length },
      'pre-backup schedules paused or missing on the Temporal server: those targets are not backed up on schedule',
    );
  deps.log.info({ ...counts, alerts: alerts.length }, 'freshness check');
  return {
    checkedAt: now.toISOString(),
    counts,
    attention: needsLook.slice(0, MAX_LISTED),
    attentionOmitted: Math.max(0, needsLook.length - MAX_LISTED),
    warnings: settingsWarnings(settings),
    failedTargets: failedTargets.slice(0, MAX_LISTED),
    alerts,
  };
}

function staleAlert(incident: FreshnessIncident, now: TargetFreshness | undefined): FreshnessAlert {
  const maxAge = formatDuration(incident.maxAgeSeconds * 1000);
  const since = incident.lastSuccessAt
    ? `no successful backup since ${incident.lastSuccessAt.toISOString()} (${formatDuration(Date.now() - incident.lastSuccessAt.getTime())} ago)`
    : 'no successful backup recorded';
  const schedule =
    now && (now.schedule.state === 'paused' || now.schedule.state === 'missing') ? `; its schedule ${now.schedule.id} is ${now.schedule.state}` : '';
  return {
    dedupeKey: staleAlertKey(incident.id),
    target: incident.target,
    kind: 'stale-backup',
    severity: 'critical',
    incidentId: incident.id,
    message: `${incident.target}: stale backup: ${since}, more than its maxAge ${maxAge}${schedule}`,
    details: {
      incidentId: incident.id,
      maxAgeSeconds: incident.maxAgeSeconds,
      lastSuccessId: incident.lastSuccessId,
      lastSuccessAt: incident.lastSuccessAt?.toISOString() ?? null,
      openedAt: incident.openedAt.toISOString(),
      ...(now ? { schedule: now.schedule } : {}),
    },
  };
}

function resolvedAlert(incident: FreshnessIncident): FreshnessAlert {
  const lasted = incident.closedAt ? formatDuration(incident.closedAt.getTime() - incident.openedAt.getTime()) : '?';
  return {
    dedupeKey: resolvedAlertKey(incident.id),
    target: incident.target,
    kind: 'stale-backup-resolved',
    severity: 'info',
    incidentId: incident.id,
    message: `${incident.target}: backed up again (${incident.closedByBackupId ?? 'a newer successful run'}): stale-backup incident ${incident.id} resolved after ${lasted}`,
    details: {
      incidentId: incident.id,
      openedAt: incident.openedAt.toISOString(),
      closedAt: incident.closedAt?.toISOString() ?? null,
      closedByBackupId: incident.closedByBackupId,
    },
  };
}
