/**
 * What the live quality monitor reads and writes: the active model's live outcomes (finished runs whose gate it
 * predicted, with the probability and threshold recorded), the history around them for shadow scoring, the snapshot
 * that made the model active, the monitor's checks (`model_monitor_checks`) and the automatic-rollback claims
 * (`model_audit` rows whose dedupe key names the degradation).
 */
import type pg from 'pg';
import type { BackupRunRecord } from '../../domain/history/types.js';
import { toRecord } from './backup-runs.js';

export interface LiveOutcome {
  backupId: string;
  target: string;
  startedAt: Date;
  failed: boolean;
  probability: number;
  threshold: number;
}

/** Finished runs predicted by `version` that started in [from, now], newest first, at most `limit`. */
export async function liveOutcomes(db: pg.Pool, version: number, from: Date, limit: number): Promise<LiveOutcome[]> {
  const r = await db.query(
    `SELECT backup_id, target, started_at, status, failure_probability, coalesce(prediction_threshold, 0.5) AS threshold
       FROM backup_runs
      WHERE model_version = $1 AND status IN ('completed', 'failed') AND started_at >= $2 AND failure_probability IS NOT NULL
      ORDER BY started_at DESC, backup_id LIMIT $3`,
    [version, from, limit],
  );
  return r.rows.map((row) => ({
    backupId: row.backup_id,
    target: row.target,
    startedAt: row.started_at,
    failed: row.status === 'failed',
    probability: Number(row.failure_probability),
    threshold: Number(row.threshold),
  }));
}

/**
 * Finished runs of every target that started in [from, to]: what the shadow scorers need to rebuild, point in time,
 * what live prediction saw before each window run (the rules are calibrated on the whole team's runs).
 */
export async function historyBetween(db: pg.Pool, from: Date, to: Date): Promise<BackupRunRecord[]> {
  const r = await db.query(
    `SELECT backup_id, target, started_at, status, duration_seconds, size_bytes, database_size_gb, free_space_gb,
            estimated_duration, estimated_size, error_message
       FROM backup_runs WHERE status IN ('completed', 'failed') AND started_at >= $1 AND started_at <= $2
      ORDER BY started_at, backup_id`,
    [from, to],
  );
  return r.rows.map(toRecord);
}

export interface Activation {
  snapshotId: number;
  takenAt: Date;
  /** The model active before (whose artifact the snapshot holds); null when the rules predicted. */
  replacedVersion: number | null;
}

/** The change that made `version` active most recently: the newest snapshot it replaced. */
export async function activationOf(db: pg.Pool, version: number): Promise<Activation | null> {
  const r = await db.query(`SELECT id, taken_at, model_version FROM model_snapshots WHERE replaced_by = $1 ORDER BY id DESC LIMIT 1`, [version]);
  const row = r.rows[0];
  return row ? { snapshotId: row.id, takenAt: row.taken_at, replacedVersion: row.model_version ?? null } : null;
}

/** Whether `version` was ever rolled back automatically (then it is never an automatic rollback's destination). */
export async function wasRolledBackAutomatically(db: pg.Pool, version: number, event: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM model_audit WHERE event = $1 AND model_version = $2 LIMIT 1', [event, version]);
  return r.rows.length > 0;
}

/**
 * Claims the automatic rollback of one degradation: the first insert of its dedupe key wins. A retry of the same
 * claim (same actor) is still the winner; anyone else finds it taken.
 */
export async function claimAudit(
  db: pg.Pool,
  claim: { event: string; version: number; previousVersion: number; actor: string; reason: string; details: Record<string, unknown>; dedupeKey: string },
): Promise<{ claimed: boolean; claimedBy: string }> {
  await db.query(
    `INSERT INTO model_audit (event, model_version, previous_version, actor, reason, details, dedupe_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING`,
    [claim.event, claim.version, claim.previousVersion, claim.actor, claim.reason, JSON.stringify(claim.details), claim.dedupeKey],
  );
  const r = await db.query('SELECT actor FROM model_audit WHERE dedupe_key = $1', [claim.dedupeKey]);
  const claimedBy = r.rows[0].actor as string;
  return { claimed: claimedBy === claim.actor, claimedBy };
}

export interface StoredCheck {
  id: number;
  checkedAt: Date;
  modelVersion: number | null;
  verdict: string;
  report: Record<string, unknown>;
  checkedBy: string;
}

const toCheck = (row: Record<string, unknown>): StoredCheck => ({
  id: Number(row.id),
  checkedAt: row.checked_at as Date,
  modelVersion: (row.model_version as number | null) ?? null,
  verdict: row.verdict as string,
  report: row.report as Record<string, unknown>,
  checkedBy: row.checked_by as string,
});

/** Stores a check once per dedupe key; a retry gets the first stored check back. */
export async function insertCheck(
  db: pg.Pool,
  check: { modelVersion: number | null; verdict: string; report: unknown; checkedBy: string; dedupeKey: string },
): Promise<StoredCheck> {
  await db.query(
    `INSERT INTO model_monitor_checks (model_version, verdict, report, checked_by, dedupe_key) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [check.modelVersion, check.verdict, JSON.stringify(check.report), check.checkedBy, check.dedupeKey],
  );
  const r = await db.query('SELECT * FROM model_monitor_checks WHERE dedupe_key = $1', [check.dedupeKey]);
  return toCheck(r.rows[0]);
}

export async function latestCheck(db: pg.Pool): Promise<StoredCheck | null> {
  const r = await db.query('SELECT * FROM model_monitor_checks ORDER BY id DESC LIMIT 1');
  return r.rows[0] ? toCheck(r.rows[0]) : null;
}

export interface AutomaticRollbackRecord {
  at: Date;
  version: number | null;
  toVersion: number | null;
  actor: string;
  reason: string | null;
}

/** The newest automatic rollback claimed, and how many there have been. */
export async function automaticRollbacks(db: pg.Pool, event: string): Promise<{ total: number; last: AutomaticRollbackRecord | null }> {
  const r = await db.query(
    `SELECT at, model_version, previous_version, actor, reason, count(*) OVER () AS total FROM model_audit WHERE event = $1 ORDER BY id DESC LIMIT 1`,
    [event],
  );
  const row = r.rows[0];
  if (!row) return { total: 0, last: null };
  return {
    total: Number(row.total),
    last: { at: row.at, version: row.model_version ?? null, toVersion: row.previous_version ?? null, actor: row.actor, reason: row.reason ?? null },
  };
}
