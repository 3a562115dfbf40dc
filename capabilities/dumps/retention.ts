/**
 * Dump retention (docs/backup-assurance.md, "Dump retention"): each postgres target's `keep` policy applied to its
 * dumps in BACKUP_DIR, after every successful backup (inside recordBackupRun) and by `sentinel backup prune`.
 *
 * Under the target's dump lock (shared with drills choosing a dump) the plan is made and the removed dumps are
 * marked pruned in `backup_runs` (the row stays: it is history), then their files are unlinked. A crash between
 * the two leaves a marked row whose file still exists; the next prune unlinks it. The newest dump that passed a
 * drill and any dump a running drill has leased are never removed.
 */
import { rm, stat } from 'node:fs/promises';
import type pg from 'pg';
import { dumpLock } from '../../db/repositories/restore-drills.js';
import type { RetentionPolicy } from '../../domain/config-backup/retention.js';
import { planDumpRetention, type DumpEntry } from '../../domain/dumps/retention-plan.js';
import type { KeepPolicy, SentinelSettings, TargetConfig } from '../../domain/settings/schema.js';

export interface StoredDump extends DumpEntry {
  target: string;
  artifactPath: string;
  sha256: string | null;
}

export interface PruneTargetReport {
  target: string;
  policy: string;
  dryRun: boolean;
  kept: Array<{ backupId: string; startedAt: string; sizeBytes: number | null; reasons: string[] }>;
  pruned: Array<{ backupId: string; startedAt: string; sizeBytes: number | null; path: string }>;
  /** Bytes the pruned dumps held. */
  freedBytes: number;
  /** Files of dumps marked pruned earlier that were still on disk and are now removed. */
  leftoversRemoved: number;
  error?: string;
}

export function keepPolicyOf(target: TargetConfig): RetentionPolicy | undefined {
  if (target.kind !== 'postgres' || !target.keep) return undefined;
  return toRetentionPolicy(target.keep);
}

export function toRetentionPolicy(keep: KeepPolicy): RetentionPolicy {
  const { within, ...counts } = keep;
  return { ...counts, ...(within !== undefined ? { within } : {}) };
}

const DUMP_COLUMNS = `backup_id, target, started_at, size_bytes, artifact_path, artifact_sha256`;

function toDump(row: Record<string, unknown>): StoredDump {
  return {
    backupId: row.backup_id as string,
    target: row.target as string,
    startedAt: row.started_at as Date,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    artifactPath: row.artifact_path as string,
    sha256: (row.artifact_sha256 as string | null) ?? null,
  };
}

/** Applies `policy` to the target's dumps; with `dryRun` only reports. One target's failure is its report's `error`. */
export async function pruneTargetDumps(
  pool: pg.Pool,
  target: string,
  policy: RetentionPolicy,
  options: { dryRun?: boolean; timeZone?: string } = {},
): Promise<PruneTargetReport> {
  const dryRun = options.dryRun ?? false;
  const client = await pool.connect();
  let plan: ReturnType<typeof planDumpRetention<StoredDump>>;
  let leftovers: string[] = [];
  try {
    await client.query('BEGIN');
    await dumpLock(client, target);
    const dumps = (
      await client.query(
        `SELECT ${DUMP_COLUMNS} FROM backup_runs
          WHERE target = $1 AND status = 'completed' AND artifact_path IS NOT NULL AND artifact_pruned_at IS NULL AND source = 'sentinel'`,
        [target],
      )
    ).rows.map(toDump);
    const newestDrilled = await client.query(
      `SELECT b.backup_id FROM restore_drills d JOIN backup_runs b ON b.backup_id = d.backup_id
        WHERE d.target = $1 AND d.status = 'passed' ORDER BY b.started_at DESC, b.backup_id DESC LIMIT 1`,
      [target],
    );
    const leased = await client.query(
      `SELECT DISTINCT backup_id FROM restore_drills WHERE target = $1 AND status = 'running' AND backup_id IS NOT NULL AND lease_until > now()`,
      [target],
    );
    plan = planDumpRetention(
      dumps,
      policy,
      { newestDrilled: newestDrilled.rows[0]?.backup_id ?? null, leased: leased.rows.map((r) => r.backup_id as string) },
      options.timeZone ?? 'UTC',
    );
    if (!dryRun && plan.remove.length > 0)
      await client.query(
        `UPDATE backup_runs SET artifact_pruned_at = now(), artifact_pruned_reason = $2 WHERE backup_id = ANY($1::text[]) AND artifact_pruned_at IS NULL`,
        [plan.remove.map((d) => d.backupId), `retention: ${plan.policy}`],
      );
    if (!dryRun)
      leftovers = (
        await client.query(`SELECT artifact_path FROM backup_runs WHERE target = $1 AND artifact_pruned_at IS NOT NULL AND artifact_path IS NOT NULL`, [target])
      ).rows.map((r) => r.artifact_path as string);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }

  let leftoversRemoved = 0;
  if (!dryRun) {
    const now = new Set(plan.remove.map((d) => d.artifactPath));
    for (const file of leftovers) {
      const existed = await stat(file).then(
        () => true,
        () => false,
      );
      await rm(file, { force: true });
      if (existed && !now.has(file)) leftoversRemoved++;
    }
  }
  return {
    target,
    policy: plan.policy,
    dryRun,
    kept: plan.keep.map(({ dump, reasons }) => ({ backupId: dump.backupId, startedAt: dump.startedAt.toISOString(), sizeBytes: dump.sizeBytes, reasons })),
    pruned: plan.remove.map((d) => ({ backupId: d.backupId, startedAt: d.startedAt.toISOString(), sizeBytes: d.sizeBytes, path: d.artifactPath })),
    freedBytes: plan.remove.reduce((sum, d) => sum + (d.sizeBytes ?? 0), 0),
    leftoversRemoved,
  };
}

/** Prune for every target with a `keep` policy (or the one asked for); each target on its own. */
export async function pruneDumps(
  pool: pg.Pool,
  settings: SentinelSettings,
  options: { target?: string | undefined; dryRun?: boolean } = {},
): Promise<PruneTargetReport[]> {
  const targets = settings.targets.filter((t) => options.target === undefined || t.name === options.target);
  const reports: PruneTargetReport[] = [];
  for (const target of targets) {
    const policy = keepPolicyOf(target);
    if (!policy) continue;
    try {
      reports.push(await pruneTargetDumps(pool, target.name, policy, { dryRun: options.dryRun ?? false, timeZone: settings.timezone }));
    } catch (error) {
      reports.push({
        target: target.name,
        policy: '',
        dryRun: options.dryRun ?? false,
        kept: [],
        pruned: [],
        freedBytes: 0,
        leftoversRemoved: 0,
        error: (error as Error).message,
      });
    }
  }
  return reports;
}

export interface ListedDump {
  backupId: string;
  target: string;
  startedAt: string;
  sizeBytes: number | null;
  sha256: string | null;
  path: string;
  /** The newest drill of this dump: passed, failed, running, or null (never drilled). */
  drillStatus: 'passed' | 'failed' | 'running' | null;
  drilledAt: string | null;
  pruned: boolean;
  prunedAt: string | null;
  prunedReason: string | null;
}

/** Dumps (completed runs with an artifact), newest first, with their newest drill and whether retention pruned them. */
export async function listDumps(db: pg.Pool, options: { target?: string | undefined; limit?: number } = {}): Promise<ListedDump[]> {
  const result = await db.query(
    `SELECT b.backup_id, b.target, b.started_at, b.size_bytes, b.artifact_sha256, b.artifact_path, b.artifact_pruned_at, b.artifact_pruned_reason,
            d.status AS drill_status, COALESCE(d.finished_at, d.started_at) AS drilled_at
       FROM backup_runs b
       LEFT JOIN LATERAL (SELECT status, finished_at, started_at FROM restore_drills WHERE backup_id = b.backup_id ORDER BY started_at DESC LIMIT 1) d ON true
      WHERE b.status = 'completed' AND b.artifact_path IS NOT NULL AND ($1::text IS NULL OR b.target = $1)
      ORDER BY b.started_at DESC, b.backup_id DESC LIMIT $2`,
    [options.target ?? null, options.limit ?? 1000],
  );
  return result.rows.map((r) => ({
    backupId: r.backup_id,
    target: r.target,
    startedAt: (r.started_at as Date).toISOString(),
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    sha256: r.artifact_sha256 ?? null,
    path: r.artifact_path,
    drillStatus: r.drill_status ?? null,
    drilledAt: r.drilled_at ? (r.drilled_at as Date).toISOString() : null,
    pruned: r.artifact_pruned_at !== null,
    prunedAt: r.artifact_pruned_at ? (r.artifact_pruned_at as Date).toISOString() : null,
    prunedReason: r.artifact_pruned_reason ?? null,
  }));
}
