import { MetricsInputError } from './errors.js';
import type { RunScore } from './scoring.js';
import type { Direction, Severity } from './zscore.js';

/** An open incident: one alert covers every consecutive anomalous run of target + metric + direction. */
export interface OpenIncident {
  /** Deterministic: `${target}|${metric}|${direction}|${openedAt ISO}`, `#2`, `#3`... when one decision reopens a key at the same instant. */
  incidentId: string;
  target: string;
  metric: string;
  direction: 'above' | 'below';
  openedAt: Date;
  lastSeenAt: Date;
  lastBackupId: string;
  /** Runs that opened or continued the incident. */
  occurrences: number;
}

/**
 * `open` as read back from storage or a workflow payload: JSON turns Dates into ISO strings, so both are accepted.
 */
export type StoredIncident = Omit<OpenIncident, 'openedAt' | 'lastSeenAt'> & { openedAt: Date | string; lastSeenAt: Date | string };

/** One scored metric of one run; normal observations matter too, they close incidents. */
export interface MetricObservation {
  target: string;
  metric: string;
  direction: Direction;
  severity: Severity;
  isAnomaly: boolean;
  at: Date;
  backupId: string;
}

export interface IncidentOptions {
  /**
   * An open incident not seen for longer than this is closed as stale; a later critical finding opens a new
   * incident (and alerts again). Default 7 days.
   */
  staleAfterMs?: number;
  /** When given, incidents whose lastSeenAt is more than staleAfterMs before `now` close as stale too. */
  now?: Date;
  /**
   * Incident IDs already stored (open or closed): a new incident never reuses one (it gets a `#n` suffix), so
   * a key reopening at an instant an earlier incident opened at is a row of its own, not silently merged.
   */
  takenIds?: ReadonlySet<string>;
}

export const INCIDENT_STALE_AFTER_MS = 7 * 86_400_000;

export interface ClosedIncident {
  incident: OpenIncident;
  closedAt: Date;
  /** recovered: the metric's next scored run was not anomalous in that direction; stale: silence too long. */
  reason: 'recovered' | 'stale';
  closedByBackupId: string | null;
}

export interface IncidentDecision {
  /** Newly opened incidents: send exactly one alert for each. */
  alerts: OpenIncident[];
  /** Observations that extended an already-open incident: no alert. */
  continued: { incidentId: string; backupId: string }[];
  closed: ClosedIncident[];
  /** Incidents still open afterwards: persist this as the next call's `open`. */
  open: OpenIncident[];
}

function incidentKey(target: string, metric: string, direction: string): string {
  return `${target}\u0000${metric}\u0000${direction}`;
}

/**
 * Alert deduplication. Observations are applied oldest first (ties keep input order); for each one, per
 * target + metric:
 * 1. an open incident idle longer than staleAfterMs closes as `stale`;
 * 2. an open incident continues (no alert) while the metric stays anomalous in its direction, at warning
 *    or critical alike (hysteresis: a critical run followed by warnings is still one incident);
 *    otherwise it closes as `recovered` at that run;
 * 3. a `critical` observation with no open incident for its target + metric + direction opens one: an alert.
 * Warnings never open incidents. Inputs are not mutated.
 */
export function reconcileIncidents(
  open: readonly StoredIncident[],
  observations: readonly MetricObservation[],
  options: IncidentOptions = {},
): IncidentDecision {
  const staleAfterMs = options.staleAfterMs ?? INCIDENT_STALE_AFTER_MS;
  const state = new Map<string, OpenIncident>();
  for (const stored of open) {
    const incident: OpenIncident = { ...stored, openedAt: new Date(stored.openedAt), lastSeenAt: new Date(stored.lastSeenAt) };
    if (!Number.isFinite(incident.openedAt.getTime()) || !Number.isFinite(incident.lastSeenAt.getTime())) {
      throw new MetricsInputError('INVALID_TIMESTAMP', `incident ${stored.incidentId} has an invalid openedAt or lastSeenAt`);
    }
    state.set(incidentKey(incident.target, incident.metric, incident.direction), incident);
  }
  const decision: IncidentDecision = { alerts: [], continued: [], closed: [], open: [] };
  const usedIds = new Set([...open.map((i) => i.incidentId), ...(options.takenIds ?? [])]);

  const ordered = observations
    .map((observation, index) => ({ observation, index }))
    .sort((a, b) => a.observation.at.getTime() - b.observation.at.getTime() || a.index - b.index);

  for (const { observation } of ordered) {
    const at = observation.at.getTime();
    for (const direction of ['above', 'below'] as const) {
      const key = incidentKey(observation.target, observation.metric, direction);
      const incident = state.get(key);
      if (!incident) continue;
      if (at - incident.lastSeenAt.getTime() > staleAfterMs) {
        state.delete(key);
        decision.closed.push({ incident, closedAt: observation.at, reason: 'stale', closedByBackupId: observation.backupId });
      } else if (observation.isAnomaly && observation.direction === direction) {
        incident.lastSeenAt = observation.at;
        incident.lastBackupId = observation.backupId;
        incident.occurrences++;
        decision.continued.push({ incidentId: incident.incidentId, backupId: observation.backupId });
      } else {
        state.delete(key);
        decision.closed.push({ incident, closedAt: observation.at, reason: 'recovered', closedByBackupId: observation.backupId });
      }
    }
    const direction = observation.direction;
    if (observation.severity !== 'critical' || direction === 'normal') continue;
    const key = incidentKey(observation.target, observation.metric, direction);
    if (state.has(key)) continue;
    // The same key can reopen at the same instant (two runs with one start time, from overlapping imports):
    // a suffix keeps every incident a row of its own.
    const baseId = `${observation.target}|${observation.metric}|${direction}|${observation.at.toISOString()}`;
    let incidentId = baseId;
    for (let n = 2; usedIds.has(incidentId); n++) incidentId = `${baseId}#${n}`;
    usedIds.add(incidentId);
    const incident: OpenIncident = {
      incidentId,
      target: observation.target,
      metric: observation.metric,
      direction,
      openedAt: observation.at,
      lastSeenAt: observation.at,
      lastBackupId: observation.backupId,
      occurrences: 1,
    };
    state.set(key, incident);
    decision.alerts.push(incident);
  }

  if (options.now) {
    const nowMs = options.now.getTime();
    for (const [key, incident] of state) {
      if (nowMs - incident.lastSeenAt.getTime() > staleAfterMs) {
        state.delete(key);
        decision.closed.push({ incident, closedAt: options.now, reason: 'stale', closedByBackupId: null });
      }
    }
  }
  decision.open = [...state.values()];
  return decision;
}

/** Observations from scored runs (unscored runs say nothing about whether an incident is over). */
export function observationsFromScores(scores: readonly RunScore[]): MetricObservation[] {
  const observations: MetricObservation[] = [];
  for (const score of scores) {
    if (score.status !== 'scored') continue;
    for (const f of score.findings) {
      observations.push({
        target: score.target,
        metric: f.metric,
        direction: f.direction,
        severity: f.severity,
        isAnomaly: f.isAnomaly,
        at: score.startedAt,
        backupId: score.backupId,
      });
    }
  }
  return observations;
}
