import { isDangerousDirection, type RunMetric } from '../metrics/anomaly-policy.js';
import type { RunDriftResult } from '../metrics/drift.js';
import {
  reconcileIncidents,
  type ClosedIncident,
  type IncidentDecision,
  type OpenIncident,
  type MetricObservation,
  type StoredIncident,
} from '../metrics/incidents.js';
import type { RobustFinding } from '../metrics/scoring.js';
import type { Severity } from '../metrics/zscore.js';
import type { DriftFinding, IncidentAlert, IncidentChanges } from './contract.js';

/** Incident metric name of an EWMA drift signal, so drift and single-run incidents never merge. */
export const driftMetric = (metric: RunMetric): string => `${metric}:drift`;

export interface IncidentPlan extends IncidentDecision {
  /** Observations older than the newest run already checked for the target: recorded, but they do not move incidents. */
  late: MetricObservation[];
}

/**
 * Applies observations to a target's open incidents. Incidents are a timeline: a backfilled run older than the
 * newest checked one would re-open or close incidents out of order, so such observations are set aside as late.
 */
export function planIncidents(input: {
  open: readonly StoredIncident[];
  observations: readonly MetricObservation[];
  latestCheckedAt: Date | null;
  now: Date;
  staleAfterMs?: number;
  /** Stored incident IDs a new incident must not reuse (see IncidentOptions.takenIds). */
  takenIds?: ReadonlySet<string>;
}): IncidentPlan {
  const cutoff = input.latestCheckedAt?.getTime() ?? -Infinity;
  const timely: MetricObservation[] = [];
  const late: MetricObservation[] = [];
  for (const o of input.observations) (o.at.getTime() < cutoff ? late : timely).push(o);
  const decision = reconcileIncidents(input.open, timely, {
    now: input.now,
    ...(input.staleAfterMs !== undefined ? { staleAfterMs: input.staleAfterMs } : {}),
    ...(input.takenIds ? { takenIds: input.takenIds } : {}),
  });
  return { ...decision, late };
}

/** One statement of a stored reconciliation, in the order `incidentWrites` gives. */
export type IncidentWrite =
  | { op: 'close'; closed: ClosedIncident }
  | { op: 'update'; incident: OpenIncident }
  /** `closed` is set when the decision closed the incident it opened: the row is inserted closed. */
  | { op: 'insert'; incident: OpenIncident; closed: ClosedIncident | null };

/**
 * The writes that store a decision, ordered so that at no point two rows of one target + metric + direction are
 * open (the `anomaly_incidents_one_open` index): first the stored incidents the decision closed, then the
 * continued ones, then the new ones, each inserted in its final state (open only if it is still open at the end),
 * closed ones before the open one. A decision can open, close and reopen one key (an overlapping import
 * interleaves normal and anomalous runs); inserting those open one by one broke the index.
 */
export function incidentWrites(decision: IncidentDecision): IncidentWrite[] {
  const opened = new Set(decision.alerts.map((i) => i.incidentId));
  const closedById = new Map(decision.closed.map((c) => [c.incident.incidentId, c]));
  const finalOpen = new Map(decision.open.map((i) => [i.incidentId, i]));
  const writes: IncidentWrite[] = [];
  for (const closed of decision.closed) if (!opened.has(closed.incident.incidentId)) writes.push({ op: 'close', closed });
  for (const incident of decision.open) if (!opened.has(incident.incidentId)) writes.push({ op: 'update', incident });
  const inserts = decision.alerts.map((incident): IncidentWrite & { op: 'insert' } => ({
    op: 'insert',
    incident: finalOpen.get(incident.incidentId) ?? closedById.get(incident.incidentId)?.incident ?? incident,
    closed: finalOpen.has(incident.incidentId) ? null : (closedById.get(incident.incidentId) ?? null),
  }));
  writes.push(...inserts.filter((w) => w.closed !== null), ...inserts.filter((w) => w.closed === null));
  return writes;
}

export function incidentChanges(plan: IncidentDecision): IncidentChanges {
  return {
    opened: plan.alerts.map((i) => ({ incidentId: i.incidentId, target: i.target, metric: i.metric, direction: i.direction })),
    continued: [...new Set(plan.continued.map((c) => c.incidentId))],
    closed: plan.closed.map((c) => ({
      incidentId: c.incident.incidentId,
      target: c.incident.target,
      metric: c.incident.metric,
      direction: c.incident.direction,
      reason: c.reason,
    })),
  };
}

/** One target's EWMA result in the metric's own units (the chart runs on log1p). */
export function driftFinding(target: string, result: RunDriftResult, runs: number): DriftFinding {
  if (result.status !== 'monitored') {
    return {
      target,
      metric: result.metric,
      status: 'insufficient_history',
      drifting: false,
      direction: null,
      dangerous: false,
      severity: 'info',
      firstSignalAt: null,
      centre: null,
      current: null,
      limits: null,
      runs,
      message: result.message,
    };
  }
  const { ewma, lower, upper } = result.chart.final;
  const direction = ewma > upper ? 'above' : ewma < lower ? 'below' : null;
  const dangerous = direction !== null && isDangerousDirection(result.metric, direction);
  const severity: Severity = direction === null ? 'info' : dangerous ? 'critical' : 'warning';
  return {
    target,
    metric: result.metric,
    status: 'monitored',
    drifting: direction !== null,
    direction,
    dangerous,
    severity,
    firstSignalAt: result.signalledAt ? result.signalledAt.toISOString() : null,
    centre: result.centre,
    current: Math.expm1(ewma),
    limits: { lower: Math.max(0, Math.expm1(lower)), upper: Math.expm1(upper) },
    runs,
    message: null,
  };
}

/**
 * The drift chart as an incident observation, made at the target's latest run. Nothing new is observed while the
 * latest run is one a drift incident has already seen (scans repeat every hour; runs do not). `known` are the open
 * incidents and any closed ones touched at or after the latest run: a drift incident closed as stale must not be
 * reopened, and alerted again, every hour from the same run.
 */
export function driftObservation(
  finding: DriftFinding,
  latestRun: { backupId: string; startedAt: Date },
  known: readonly StoredIncident[],
): MetricObservation | null {
  if (finding.status !== 'monitored') return null;
  const metric = driftMetric(finding.metric);
  const seen = known.some((i) => i.target === finding.target && i.metric === metric && new Date(i.lastSeenAt).getTime() >= latestRun.startedAt.getTime());
  if (seen) return null;
  return {
    target: finding.target,
    metric,
    direction: finding.direction ?? 'normal',
    severity: finding.severity,
    isAnomaly: finding.drifting,
    at: latestRun.startedAt,
    backupId: latestRun.backupId,
  };
}

const UNIT_STEPS: Record<RunMetric, Array<[number, string]>> = {
  durationSeconds: [
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ],
  sizeBytes: [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'kB'],
    [1, 'B'],
  ],
};

/** Readable value in the metric's units (3 significant digits): `2.04 s`, `512 MB`. */
export function formatMetricValue(metric: string, value: number): string {
  const base = metric.replace(/:drift$/, '') as RunMetric;
  const steps = UNIT_STEPS[base];
  if (!steps) return value.toPrecision(3);
  const [divisor, unit] = steps.find(([d]) => Math.abs(value) >= d) ?? steps[steps.length - 1]!;
  return `${Number((value / divisor).toPrecision(3))} ${unit}`;
}

/** The alert text of a single-run incident, from the finding that opened it. */
export function runIncidentMessage(target: string, finding: RobustFinding): string {
  const what = finding.metric === 'durationSeconds' ? 'duration' : 'size';
  const label = finding.reasons.includes('possible_partial_backup')
    ? 'possible partial backup: size far below usual'
    : `${what} far ${finding.direction === 'above' ? 'above' : 'below'} usual`;
  return (
    `${target}: ${label} (${formatMetricValue(finding.metric, finding.value)} vs median ${formatMetricValue(finding.metric, finding.expected.median)}, ` +
    `usual range ${formatMetricValue(finding.metric, finding.expected.lower)}-${formatMetricValue(finding.metric, finding.expected.upper)}; modified z ${finding.score.toFixed(1)})`
  );
}

/** The alert text of a drift incident. */
export function driftIncidentMessage(finding: DriftFinding): string {
  const what = finding.metric === 'durationSeconds' ? 'duration' : 'size';
  const current = finding.current === null ? '?' : formatMetricValue(finding.metric, finding.current);
  const centre = finding.centre === null ? '?' : formatMetricValue(finding.metric, finding.centre);
  return `${finding.target}: ${what} drifting ${finding.direction ?? ''} its usual level over recent runs (EWMA ${current} vs in-control centre ${centre})`;
}

/** The alert for a stored incident, from the finding that opened it (kept in the incident's details). */
export function incidentAlert(incident: {
  incidentId: string;
  target: string;
  metric: string;
  direction: 'above' | 'below';
  kind: 'run' | 'drift';
  details: Record<string, unknown>;
}): IncidentAlert {
  const drift = incident.kind === 'drift' ? (incident.details.drift as DriftFinding | undefined) : undefined;
  const finding = incident.kind === 'run' ? (incident.details.finding as RobustFinding | undefined) : undefined;
  const message = drift
    ? driftIncidentMessage(drift)
    : finding
      ? runIncidentMessage(incident.target, finding)
      : `${incident.target}: ${incident.metric} ${incident.direction} usual`;
  return {
    incidentId: incident.incidentId,
    target: incident.target,
    kind: incident.kind === 'drift' ? 'anomaly-drift' : 'anomaly',
    metric: incident.metric,
    direction: incident.direction,
    message,
    details: { incidentId: incident.incidentId, ...incident.details },
  };
}
