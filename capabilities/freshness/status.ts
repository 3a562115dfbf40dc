import type pg from 'pg';
import { openIncidentCounts, targetBackupFigures } from '../../db/repositories/freshness.js';
import { assessFreshness } from '../../domain/freshness/assess.js';
import type { FreshnessState, ScheduleState } from '../../domain/freshness/contract.js';
import { freshnessObjective, settingsWarnings } from '../../domain/freshness/objective.js';
import type { RiskLevel } from '../../domain/risk/levels.js';
import type { SentinelSettings, TargetConfig } from '../../domain/settings/schema.js';
import { resolveThreshold } from '../prediction/threshold.js';
import { filesystemSpace, forecastTargetCapacity, type FilesystemSpace } from '../monitoring/capacity.js';
import { predictFailure } from '../prediction/predict.js';
import { describeSchedules, type ScheduleLookup } from './schedules.js';

/** `sentinel status`: one row per target, the figures a person reads at a glance (docs/backup-assurance.md). */
export interface TargetStatus {
  target: string;
  freshness: {
    state: FreshnessState;
    lastSuccessAt: string | null;
    ageSeconds: number | null;
    maxAgeSeconds: number | null;
    maxAgeSource: 'config' | 'schedule' | 'none';
  };
  lastAttempt: { at: string; status: 'completed' | 'failed' } | null;
  /** Null when no drill finished yet; `available: false` when this database has no restore_drills table. */
  lastDrill: { available: boolean; status: 'passed' | 'failed' | null; at: string | null; restoreSeconds: number | null; error: string | null };
  risk: { level: RiskLevel; probability: number; model: string; fallbackReason: string | null } | { error: string };
  schedule: { id: string | null; state: ScheduleState; nextRunAt: string | null; error?: string };
  openIncidents: Record<string, number>;
  store:
    | { sizeGb: number | null; capacityGb: number | null; daysUntilFull: number | null; severity: string | null; message: string | null }
    | { error: string };
  /** What makes this row need attention; drives the exit code (cli/exit-codes.ts). */
  problems: Array<'stale' | 'failing' | 'critical'>;
}

export interface StatusReport {
  generatedAt: string;
  targets: TargetStatus[];
  warnings: string[];
  /** Whole-report problems (Temporal unreachable: schedules unknown). */
  notes: string[];
}

export interface StatusDeps {
  db: pg.Pool;
  settings: SentinelSettings;
  backupDir: string;
  /** Describes the targets' schedules; null when Temporal cannot be reached (their state is then `unknown`). */
  schedules: ScheduleLookup | null;
}

/**
 * Gathers every target's status. Each part fails on its own (a prediction that cannot be made, a forecast that
 * cannot be read shows its error in its cell), never the whole report.
 */
export async function targetStatuses(deps: StatusDeps, only?: readonly TargetConfig[], now = new Date()): Promise<StatusReport> {
  const targets = only ?? deps.settings.targets;
  const names = targets.map((t) => t.name);
  const [figures, incidents, drills, scheduleStates, filesystem] = await Promise.all([
    targetBackupFigures(deps.db, names),
    openIncidentCounts(deps.db, names),
    lastDrills(deps.db, names),
    describeSchedules(
      deps.schedules,
      targets.filter((t) => t.schedule !== undefined).map((t) => t.name),
    ),
    filesystemSpace(deps.backupDir).catch((): FilesystemSpace | null => null),
  ]);
  const byTarget = new Map(figures.map((f) => [f.target, f]));
  const rows: TargetStatus[] = [];
  for (const target of targets) {
    const f = byTarget.get(target.name);
    const objective = freshnessObjective(target);
    const { state, ageMs } = assessFreshness(objective, f?.lastSuccessAt ?? null, now);
    const open: Record<string, number> = {};
    for (const i of incidents) if (i.target === target.name) open[i.kind] = (open[i.kind] ?? 0) + i.count;
    const drill = drills.available ? drills.byTarget.get(target.name) : undefined;
    const risk = await predictFailure(deps, {
      target: target.name,
      threshold: (await resolveThreshold(deps.db, deps.settings, target)).threshold,
      startAt: now.toISOString(),
      estimatedDurationSeconds: target.estimatedDurationSeconds,
      estimatedSizeBytes: target.estimatedSizeBytes,
      databaseSizeGb: target.databaseSizeGb,
      freeSpaceGb: target.freeSpaceGb,
    }).then(
      (p) => ({
        level: p.riskLevel,
        probability: p.failureProbability,
        model: p.model.kind === 'ml' ? `model ${p.model.version ?? '?'}` : 'rules',
        fallbackReason: p.model.fallbackReason ?? null,
      }),
      (error: Error) => ({ error: error.message }),
    );
    const store = await forecastTargetCapacity(deps.db, target, { horizonDays: 14, filesystem, backupDir: deps.backupDir, now }).then(
      ({ entry, series }) => ({
        // Too short a series for a forecast still says what is stored.
        sizeGb: entry.lastValueGb ?? series.points[series.points.length - 1]?.value ?? null,
        capacityGb: entry.capacityGb,
        daysUntilFull: entry.daysUntilFull?.alreadyFull ? 0 : (entry.daysUntilFull?.conservative ?? null),
        severity: entry.alert ? entry.severity : null,
        message: entry.message,
      }),
      (error: Error) => ({ error: error.message }),
    );
    const lastDrill = drills.available
      ? { available: true, status: drill?.status ?? null, at: drill?.at ?? null, restoreSeconds: drill?.restoreSeconds ?? null, error: drill?.error ?? null }
      : { available: false, status: null, at: null, restoreSeconds: null, error: null };
    const problems: TargetStatus['problems'] = [];
    if (state === 'stale') problems.push('stale');
    if (f?.lastAttemptStatus === 'failed' || lastDrill.status === 'failed') problems.push('failing');
    const anomalyIncidents = (open.anomaly ?? 0) + (open['anomaly-drift'] ?? 0);
    if (('level' in risk && risk.level === 'critical') || ('severity' in store && store.severity === 'critical') || anomalyIncidents > 0)
      problems.push('critical');
    rows.push({
      target: target.name,
      freshness: {
        state,
        lastSuccessAt: f?.lastSuccessAt?.toISOString() ?? null,
        ageSeconds: ageMs === null ? null : Math.round(ageMs / 1000),
        maxAgeSeconds: objective.maxAgeMs === null ? null : objective.maxAgeMs / 1000,
        maxAgeSource: objective.source,
      },
      lastAttempt: f?.lastAttemptAt && f.lastAttemptStatus ? { at: f.lastAttemptAt.toISOString(), status: f.lastAttemptStatus } : null,
      lastDrill,
      risk,
      schedule: target.schedule === undefined ? { id: null, state: 'not-declared', nextRunAt: null } : scheduleStates.get(target.name)!,
      openIncidents: open,
      store,
      problems,
    });
  }
  const notes: string[] = [];
  const unknown = rows.filter((r) => r.schedule.state === 'unknown');
  if (unknown.length > 0) notes.push(`schedule state unknown for ${unknown.length} target(s): ${unknown[0]!.schedule.error ?? 'Temporal not reachable'}`);
  return { generatedAt: now.toISOString(), targets: rows, warnings: settingsWarnings({ targets }), notes };
}

/**
 * The newest finished drill per target, from `restore_drills` (restore drills, docs/backup-assurance.md) when
 * this database has that table; `available: false` otherwise, shown as "-".
 */
async function lastDrills(
  db: pg.Pool,
  targets: readonly string[],
): Promise<{
  available: boolean;
  byTarget: Map<string, { status: 'passed' | 'failed'; at: string | null; restoreSeconds: number | null; error: string | null }>;
}> {
  const exists = await db.query(`SELECT to_regclass('restore_drills') IS NOT NULL AS exists`);
  if (!exists.rows[0].exists) return { available: false, byTarget: new Map() };
  const result = await db.query(
    `SELECT DISTINCT ON (target) target, status, coalesce(finished_at, started_at) AS at, restore_seconds, error
       FROM restore_drills WHERE target = ANY($1) AND status IN ('passed', 'failed')
      ORDER BY target, finished_at DESC NULLS LAST, started_at DESC`,
    [targets],
  );
  return {
    available: true,
    byTarget: new Map(
      result.rows.map((r) => [
        r.target as string,
        {
          status: r.status as 'passed' | 'failed',
          at: (r.at as Date | null)?.toISOString() ?? null,
          restoreSeconds: r.restore_seconds === null ? null : Number(r.restore_seconds),
          error: (r.error as string | null) ?? null,
        },
      ]),
    ),
  };
}
