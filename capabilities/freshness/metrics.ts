import type pg from 'pg';
import { INCIDENT_KINDS, openIncidentCounts, targetBackupFigures } from '../../db/repositories/freshness.js';
import { awaitingApprovalByTarget } from '../../db/repositories/gauge-readings.js';
import { assessFreshness } from '../../domain/freshness/assess.js';
import { freshnessObjective } from '../../domain/freshness/objective.js';
import type { SentinelSettings } from '../../domain/settings/schema.js';

/** One target's figures for Prometheus (platform/telemetry-targets.ts turns them into labelled series). */
export interface TargetMetrics {
  target: string;
  lastSuccessSeconds: number | null;
  lastAttemptSeconds: number | null;
  lastAttemptStatus: 'completed' | 'failed' | null;
  maxAgeSeconds: number | null;
  /** 1 stale, 0 fresh; null without an objective. */
  stale: number | null;
  retainedBytes: number;
  openIncidents: Record<string, number>;
  /** Pre-backup runs waiting for a human decision, and how long the oldest has waited (seconds; null when none). */
  awaitingApproval: number;
  awaitingApprovalOldestSeconds: number | null;
}

/**
 * Every configured target's figures, from three bounded statements (the targets named in sentinel.yaml only, so
 * the label set is what the operator declared, never what an import happened to contain).
 */
export async function targetMetricsSnapshot(deps: { db: pg.Pool; loadSettings: () => Promise<SentinelSettings> }, now = new Date()): Promise<TargetMetrics[]> {
  const settings = await deps.loadSettings();
  const names = settings.targets.map((t) => t.name);
  const [figures, incidents, waiting] = await Promise.all([
    targetBackupFigures(deps.db, names),
    openIncidentCounts(deps.db, names),
    awaitingApprovalByTarget(deps.db, names),
  ]);
  const waitingBy = new Map(waiting.map((w) => [w.target, w]));
  const byTarget = new Map(figures.map((f) => [f.target, f]));
  const open = new Map<string, Record<string, number>>();
  for (const { target, kind, count } of incidents) open.set(target, { ...open.get(target), [kind]: (open.get(target)?.[kind] ?? 0) + count });
  return settings.targets.map((target) => {
    const f = byTarget.get(target.name);
    const objective = freshnessObjective(target);
    const { state } = assessFreshness(objective, f?.lastSuccessAt ?? null, now);
    const seconds = (d: Date | null | undefined) => (d ? d.getTime() / 1000 : null);
    return {
      target: target.name,
      lastSuccessSeconds: seconds(f?.lastSuccessAt),
      lastAttemptSeconds: seconds(f?.lastAttemptAt),
      lastAttemptStatus: f?.lastAttemptStatus ?? null,
      maxAgeSeconds: objective.maxAgeMs === null ? null : objective.maxAgeMs / 1000,
      stale: state === 'unmonitored' ? null : state === 'stale' ? 1 : 0,
      retainedBytes: f?.retainedBytes ?? 0,
      openIncidents: Object.fromEntries(INCIDENT_KINDS.map((kind) => [kind, open.get(target.name)?.[kind] ?? 0])),
      awaitingApproval: waitingBy.get(target.name)?.runs ?? 0,
      awaitingApprovalOldestSeconds: waitingBy.get(target.name)?.oldestSeconds ?? null,
    };
  });
}
