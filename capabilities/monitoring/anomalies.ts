import type { Logger } from 'pino';
import type pg from 'pg';
import {
  countOpenIncidents,
  incidentsAwaitingAlert,
  incidentsTouchedSince,
  latestCheckedStart,
  lockTargetIncidents,
  openIncidents,
  recordChecks,
  saveIncidentDecision,
  targetsWithOpenIncidents,
  type CheckRow,
  type IncidentRow,
} from '../../db/repositories/anomaly-incidents.js';
import { finishedRuns, targetsWithRunsBetween, type MetricRun } from '../../db/repositories/metrics-history.js';
import { inTransaction } from '../../db/pool.js';
import { RUN_METRICS, type RunMetric } from '../../domain/metrics/anomaly-policy.js';
import { BASELINE_WINDOW_DAYS } from '../../domain/metrics/baselines.js';
import { detectRunDrift } from '../../domain/metrics/drift.js';
import type { MetricObservation } from '../../domain/metrics/incidents.js';
import { scanRuns, type RobustFinding, type RunScore } from '../../domain/metrics/scoring.js';
import {
  checkRun,
  countScore,
  driftFinding,
  driftObservation,
  emptyScanCounts,
  incidentAlert,
  incidentChanges,
  observationsFromCheck,
  planIncidents,
  rankRunFindings,
  withoutMetrics,
  type AnomalyCheckInput,
  type AnomalyScanSummary,
  type DriftFinding,
  type IncidentAlert,
  type IncidentChanges,
  type RunAnomalyCheck,
  type RunAnomalyCheckOutcome,
  type RunFinding,
  type ScanAnomaliesInput,
  type ScanTargetFailure,
} from '../../domain/monitoring/index.js';
import { redactSecrets } from '../../platform/redact.js';
import { invalidInput } from '../../platform/failures.js';

const DAY_MS = 86_400_000;
/** History read for a baseline: the domain's window plus a day, so the window is always complete. */
const HISTORY_DAYS = BASELINE_WINDOW_DAYS + 1;
/** An incident whose opener has not stored its alert after this long is alerted by the next scan instead. */
export const ORPHAN_ALERT_GRACE_MINUTES = 10;
/**
 * A run that ended less than this before the scan's `until` belongs to its own pre-backup check (which follows
 * right after it is recorded): the scan scores it but leaves the incident bookkeeping to that check, or to the next
 * scan if it never happens.
 */
export const SCAN_SETTLE_MINUTES = 10;
/** A scan summary lists at most this many anomalous runs (it counts all of them). */
export const MAX_SCAN_FINDINGS = 100;

const sizeUnknown = (run: { sizeBytes: number | null }): RunMetric[] => (run.sizeBytes === null ? ['sizeBytes'] : []);

/**
 * Scores one run against its target's history from `backup_runs`, point in time (only runs that ended before it
 * started; the run itself excluded). No incidents, no alerts: shared by the activity and `sentinel anomalies check`.
 */
export async function checkTargetRun(db: pg.Pool, run: AnomalyCheckInput, alsoUnknown: readonly RunMetric[] = []): Promise<RunAnomalyCheck> {
  const startedAt = new Date(run.startedAt);
  const history = await finishedRuns(db, run.target, new Date(startedAt.getTime() - HISTORY_DAYS * DAY_MS), startedAt);
  return checkRun(
    history,
    { backupId: run.backupId, target: run.target, startedAt, status: 'completed', durationSeconds: run.durationSeconds, sizeBytes: run.sizeBytes ?? 0 },
    { unknownMetrics: [...new Set([...sizeUnknown(run), ...alsoUnknown])] },
  );
}

function validateCheckInput(input: AnomalyCheckInput): void {
  const problems: string[] = [];
  if (typeof input?.target !== 'string' || input.target === '') problems.push('target is required');
  if (typeof input?.backupId !== 'string' || input.backupId === '') problems.push('backupId is required');
  if (typeof input?.startedAt !== 'string' || !Number.isFinite(Date.parse(input.startedAt))) problems.push('startedAt must be an ISO date-time');
  if (!(typeof input?.durationSeconds === 'number' && input.durationSeconds >= 0 && Number.isFinite(input.durationSeconds)))
    problems.push('durationSeconds must be a finite number >= 0');
  if (input?.sizeBytes !== null && !(typeof input?.sizeBytes === 'number' && input.sizeBytes >= 0 && Number.isFinite(input.sizeBytes)))
    problems.push('sizeBytes must be null or a finite number >= 0');
  if (problems.length > 0) throw invalidInput(`invalid anomaly check input: ${problems.join('; ')}`);
}

const noChanges = (): IncidentChanges => ({ opened: [], continued: [], closed: [] });

function checkRow(
  score: { backupId: string; target: string; startedAt: Date },
  checkedBy: string,
  verdict: { status: string; severity: CheckRow['severity']; isAnomaly: boolean; findings: unknown[] },
): CheckRow {
  return { backupId: score.backupId, target: score.target, startedAt: score.startedAt, checkedBy, ...verdict };
}

/** Where the details of an incident come from: the observation that opened it. */
type OpeningDetails = { observation: MetricObservation; kind: 'run' | 'drift'; details: Record<string, unknown> };

function detailsLookup(openings: readonly OpeningDetails[]) {
  return (incidentId: string, incident?: { target: string; metric: string; direction: string; openedAt: Date }) => {
    const match = incident
      ? openings.find(
          (o) =>
            o.observation.target === incident.target &&
            o.observation.metric === incident.metric &&
            o.observation.direction === incident.direction &&
            o.observation.at.getTime() === incident.openedAt.getTime(),
        )
      : undefined;
    return match ? { kind: match.kind, details: match.details } : { kind: 'run' as const, details: { incidentId } };
  };
}

/** Reconciles one target's incidents with new observations inside a per-target lock; returns what changed. */
async function reconcileTarget(
  db: pg.Pool,
  target: string,
  now: Date,
  callerId: string,
  work: (
    client: pg.PoolClient,
    latestCheckedAt: Date | null,
  ) => Promise<{ openings: OpeningDetails[]; drift: Array<{ finding: DriftFinding; latest: { backupId: string; startedAt: Date } }> }>,
): Promise<IncidentChanges> {
  return inTransaction(db, async (client) => {
    await lockTargetIncidents(client, target);
    const latestCheckedAt = await latestCheckedStart(client, target);
    const { openings, drift } = await work(client, latestCheckedAt);
    const open = await openIncidents(client, target);
    let earliest = Infinity; // a loop, not Math.min(...): a backfill scan has more observations than call arguments
    for (const o of openings) earliest = Math.min(earliest, o.observation.at.getTime());
    for (const d of drift) earliest = Math.min(earliest, d.latest.startedAt.getTime());
    const touched = Number.isFinite(earliest) ? await incidentsTouchedSince(client, target, new Date(earliest)) : [];
    const driftOpenings: OpeningDetails[] = [];
    for (const d of drift) {
      const observation = driftObservation(d.finding, d.latest, [...open, ...touched]);
      if (observation) driftOpenings.push({ observation, kind: 'drift', details: { drift: d.finding } });
    }
    const all = [...openings, ...driftOpenings];
    if (all.length === 0 && open.length === 0) return noChanges();
    const takenIds = new Set(touched.map((i) => i.incidentId));
    const plan = planIncidents({ open, observations: all.map((o) => o.observation), latestCheckedAt, now, takenIds });
    const lookup = detailsLookup(all);
    const byId = new Map(plan.alerts.map((i) => [i.incidentId, i]));
    await saveIncidentDecision(client, plan, { openedBy: callerId, details: (id) => lookup(id, byId.get(id)) });
    return incidentChanges(plan);
  });
}

function alertsFor(rows: readonly IncidentRow[]): IncidentAlert[] {
  return rows.map((row) => incidentAlert(row));
}

/** What the anomaly use cases need; the worker's ActivityDeps provide it. */
export interface MonitoringDeps {
  db: pg.Pool;
  log: Logger;
}

/**
 * The pre-backup workflow's check of its finished run: robust, seasonal, point-in-time score; on the run's
 * first check, incidents are reconciled (a critical finding opens one, later runs continue or close it).
 * Returns the alerts the caller must send: incidents this run opened whose alert is not stored yet, so a
 * retried activity returns them again and a second anomalous run returns none.
 */
export async function checkRunAnomalies(deps: MonitoringDeps, input: AnomalyCheckInput): Promise<RunAnomalyCheckOutcome> {
  validateCheckInput(input);
  const check = await checkTargetRun(deps.db, input);
  const startedAt = new Date(input.startedAt);
  const incidents = await reconcileTarget(deps.db, input.target, new Date(), input.backupId, async (client) => {
    const fresh = await recordChecks(client, [
      checkRow({ backupId: input.backupId, target: input.target, startedAt }, input.backupId, {
        status: check.status,
        severity: check.severity,
        isAnomaly: check.isAnomaly,
        findings: check.findings,
      }),
    ]);
    if (!fresh.has(input.backupId)) return { openings: [], drift: [] };
    const openings = observationsFromCheck(check, startedAt).map((observation) => ({
      observation,
      kind: 'run' as const,
      details: { backupId: input.backupId, finding: check.findings.find((f) => f.metric === observation.metric) },
    }));
    return { openings, drift: [] };
  });
  const alerts = alertsFor(await incidentsAwaitingAlert(deps.db, [input.target], input.backupId, ORPHAN_ALERT_GRACE_MINUTES));
  deps.log.info(
    { target: input.target, backupId: input.backupId, status: check.status, severity: check.severity, opened: incidents.opened.length, alerts: alerts.length },
    'run anomaly check',
  );
  return { ...check, incidents, alerts };
}

/**
 * Scans every target with runs in [since, until) (and every target with an open incident): robust scores
 * against baselines learned before `since`, an EWMA drift chart per target and metric over the last 90 days,
 * and incident reconciliation for runs no earlier check had seen. Heartbeats once per target.
 */
export async function scanAnomalies(
  deps: MonitoringDeps,
  input: ScanAnomaliesInput,
  onProgress: (progress: Record<string, unknown>) => void = () => undefined,
): Promise<AnomalyScanSummary> {
  const since = new Date(input?.since);
  const until = new Date(input?.until);
  if (!Number.isFinite(since.getTime()) || !Number.isFinite(until.getTime())) throw invalidInput('since and until must be ISO date-times');
  if (since > until) throw invalidInput(`since (${input.since}) must not be after until (${input.until})`);
  if (typeof input.callerId !== 'string' || input.callerId === '') throw invalidInput('callerId is required');

  const targets = [...new Set([...(await targetsWithRunsBetween(deps.db, since, until)), ...(await targetsWithOpenIncidents(deps.db))])].sort();
  const counts = emptyScanCounts();
  counts.targets = targets.length;
  const findings: RunFinding[] = [];
  const drifting: DriftFinding[] = [];
  let driftMonitored = 0;
  const changes = noChanges();

  const failedTargets: ScanTargetFailure[] = [];
  for (const [index, target] of targets.entries()) {
    onProgress({ target, index, of: targets.length });
    // One target's failure (a bad row, a constraint) is reported, not thrown: the other targets are still scanned.
    try {
      const scanned = await scanTarget(deps.db, target, since, until, input.callerId);
      for (const score of scanned.scores) {
        const finding = countScore(counts, score);
        if (finding) findings.push(finding);
      }
      counts.newlyChecked += scanned.newlyChecked;
      driftMonitored += scanned.drift.filter((f) => f.status === 'monitored').length;
      drifting.push(...scanned.drift.filter((f) => f.drifting));
      changes.opened.push(...scanned.changes.opened);
      changes.continued.push(...scanned.changes.continued);
      changes.closed.push(...scanned.changes.closed);
    } catch (error) {
      const reason = redactSecrets(error instanceof Error ? error.message : String(error));
      failedTargets.push({ target, error: reason });
      deps.log.error({ target, error: reason }, 'anomaly scan of a target failed');
    }
  }
  // Every target failing is no partial result but an outage (database gone): fail, so the activity retries.
  if (targets.length > 0 && failedTargets.length === targets.length) {
    throw new Error(`anomaly scan failed for every target (${targets.length}); first: ${failedTargets[0]!.target}: ${failedTargets[0]!.error}`);
  }

  const ranked = rankRunFindings(findings);
  const alerts = targets.length === 0 ? [] : alertsFor(await incidentsAwaitingAlert(deps.db, targets, input.callerId, ORPHAN_ALERT_GRACE_MINUTES));
  const openAfter = targets.length === 0 ? 0 : await countOpenIncidents(deps.db, targets);
  deps.log.info(
    {
      since: input.since,
      until: input.until,
      ...counts,
      opened: changes.opened.length,
      closed: changes.closed.length,
      alerts: alerts.length,
      failedTargets: failedTargets.length,
    },
    'anomaly scan',
  );
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    counts,
    findings: ranked.slice(0, MAX_SCAN_FINDINGS),
    findingsOmitted: Math.max(0, ranked.length - MAX_SCAN_FINDINGS),
    drift: drifting,
    driftMonitored,
    incidents: { ...changes, openAfter },
    alerts,
    failedTargets,
  };
}

/**
 * One target's part of a scan: scores of its runs since `since`, its drift charts, and (in one transaction under
 * its lock) the checks of its settled runs and the incidents they move. Throws without storing anything on failure.
 */
async function scanTarget(
  db: pg.Pool,
  target: string,
  since: Date,
  until: Date,
  callerId: string,
): Promise<{
  scores: RunScore[];
  drift: DriftFinding[];
  newlyChecked: number;
  changes: IncidentChanges;
}> {
  const runs = await finishedRuns(db, target, new Date(since.getTime() - HISTORY_DAYS * DAY_MS), until);
  const scores = scoreSince(runs, since);
  const drift = driftOf(target, runs, until);
  const settledBefore = until.getTime() - SCAN_SETTLE_MINUTES * 60_000;
  const endedAt = new Map(runs.map((r) => [r.backupId, r.startedAt.getTime() + r.durationSeconds * 1000]));
  const settled = scores.filter((s) => (endedAt.get(s.backupId) ?? Infinity) < settledBefore);
  let newlyChecked = 0;
  const changes = await reconcileTarget(db, target, until, callerId, async (client) => {
    const fresh = await recordChecks(
      client,
      settled.map((s) => checkRow(s, callerId, verdictOf(s))),
    );
    newlyChecked = fresh.size;
    const openings: OpeningDetails[] = [];
    for (const score of settled) {
      if (score.status !== 'scored' || !fresh.has(score.backupId)) continue;
      for (const f of score.findings)
        openings.push({
          observation: {
            target,
            metric: f.metric,
            direction: f.direction,
            severity: f.severity,
            isAnomaly: f.isAnomaly,
            at: score.startedAt,
            backupId: score.backupId,
          },
          kind: 'run',
          details: { backupId: score.backupId, finding: f },
        });
    }
    return { openings, drift: drift.latest ? drift.findings.map((finding) => ({ finding, latest: drift.latest! })) : [] };
  });
  return { scores, drift: drift.findings, newlyChecked, changes };
}

function verdictOf(score: RunScore): { status: string; severity: CheckRow['severity']; isAnomaly: boolean; findings: RobustFinding[] } {
  return score.status === 'scored'
    ? { status: 'scored', severity: score.severity, isAnomaly: score.isAnomaly, findings: score.findings }
    : { status: score.status, severity: 'info', isAnomaly: false, findings: [] };
}

/** Scores of the runs that started in [since, ...), sizes left out where the run reported none. */
function scoreSince(runs: readonly MetricRun[], since: Date): RunScore[] {
  const unsized = new Set(runs.filter((r) => !r.sizeKnown).map((r) => r.backupId));
  const scan = scanRuns(runs, { since, includeAll: true });
  return (scan.results ?? []).map((score) => withoutMetrics(score, unsized.has(score.backupId) ? ['sizeBytes'] : []));
}

/**
 * EWMA drift per metric over the target's successful runs of the last 90 days. Runs that are anomalous on their
 * own are left out (they raise their own incidents; one spike is not creep), and sizes only where reported.
 */
function driftOf(target: string, runs: readonly MetricRun[], until: Date): { findings: DriftFinding[]; latest: { backupId: string; startedAt: Date } | null } {
  const windowStart = until.getTime() - BASELINE_WINDOW_DAYS * DAY_MS;
  const recent = runs.filter((r) => r.status === 'completed' && r.startedAt.getTime() >= windowStart);
  if (recent.length === 0) return { findings: [], latest: null };
  const unsized = new Set(recent.filter((r) => !r.sizeKnown).map((r) => r.backupId));
  const retrospective = scanRuns(recent, { includeAll: true });
  const spikes = new Set(
    (retrospective.results ?? [])
      .map((s) => withoutMetrics(s, unsized.has(s.backupId) ? ['sizeBytes'] : []))
      .filter((s) => s.status === 'scored' && s.isAnomaly)
      .map((s) => s.backupId),
  );
  const steady = recent.filter((r) => !spikes.has(r.backupId));
  const findings: DriftFinding[] = [];
  for (const metric of RUN_METRICS) {
    const series = metric === 'sizeBytes' ? steady.filter((r) => r.sizeKnown) : steady;
    if (metric === 'sizeBytes' && series.length === 0) continue;
    findings.push(driftFinding(target, detectRunDrift(series, metric), series.length));
  }
  const last = recent[recent.length - 1]!;
  return { findings, latest: { backupId: last.backupId, startedAt: last.startedAt } };
}
