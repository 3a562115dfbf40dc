/**
 * The failure-model registry (`ml_models`), its snapshots (`model_snapshots`) and audit trail (`model_audit`).
 *
 * Every change to the active model (promotion, rollback, deletion) runs in one transaction that first takes an
 * advisory lock, then writes an immutable snapshot of the model active before the change, then changes it; the
 * partial unique index `ml_models_one_active` guarantees a single active model whatever happens concurrently.
 * Artifacts are bytes (bytea) and are only read when asked for: listing never loads them.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../pool.js';

export type ModelStatus = 'candidate' | 'active' | 'archived';
export type ModelSource = 'training' | 'import';
export type ActiveModelChange = 'promotion' | 'rollback' | 'deletion';

/** What describes a model, whether stored already or about to be. */
interface ModelDescription {
  algorithm: string;
  parameters: Record<string, unknown>;
  featurePipelineVersion: number;
  trainingFrom: Date | null;
  trainingTo: Date | null;
  metrics: Record<string, unknown>;
  explanation: unknown;
  canaryProbability: number | null;
  decisionReason: string | null;
  source: ModelSource;
  createdBy: string;
}

export interface ModelSummary extends ModelDescription {
  version: number;
  status: ModelStatus;
  createdAt: Date;
  statusChangedAt: Date;
  artifactSha256: string;
  artifactBytes: number;
  trainingRun: string | null;
}

export interface NewModel extends ModelDescription {
  artifact: Buffer;
  trainingRun?: string | null;
}

export interface SnapshotRecord {
  id: number;
  takenAt: Date;
  change: ActiveModelChange;
  modelVersion: number | null;
  replacedBy: number | null;
  artifactSha256: string | null;
  metrics: unknown;
  featurePipelineVersion: number | null;
  packageVersion: string;
  changedBy: string;
}

export interface AuditEvent {
  event: string;
  modelVersion?: number | null;
  previousVersion?: number | null;
  snapshotId?: number | null;
  actor: string;
  reason?: string | null;
  details?: Record<string, unknown>;
  /** Records the event once even when the activity that writes it is retried. */
  dedupeKey?: string | null;
}

export class ModelRegistryError extends Error {
  override readonly name = 'ModelRegistryError';
}

export const sha256Hex = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** Serialises every change of the active model (on top of the row locks), so two changes never interleave. */
const ACTIVE_MODEL_LOCK = 0x5e471e1; // "sentinel"

const SUMMARY_COLUMNS = `version, status, created_at, status_changed_at, algorithm, parameters, feature_pipeline_version,
  training_from, training_to, metrics, explanation, canary_probability, decision_reason, artifact_sha256, artifact_bytes,
  source, created_by, training_run`;

function toSummary(row: Record<string, unknown>): ModelSummary {
  return {
    version: row.version as number,
    status: row.status as ModelStatus,
    createdAt: row.created_at as Date,
    statusChangedAt: row.status_changed_at as Date,
    algorithm: row.algorithm as string,
    parameters: row.parameters as Record<string, unknown>,
    featurePipelineVersion: row.feature_pipeline_version as number,
    trainingFrom: row.training_from as Date | null,
    trainingTo: row.training_to as Date | null,
    metrics: row.metrics as Record<string, unknown>,
    explanation: row.explanation,
    canaryProbability: row.canary_probability as number | null,
    decisionReason: row.decision_reason as string | null,
    artifactSha256: row.artifact_sha256 as string,
    artifactBytes: row.artifact_bytes as number,
    source: row.source as ModelSource,
    createdBy: row.created_by as string,
    trainingRun: row.training_run as string | null,
  };
}

function toSnapshot(row: Record<string, unknown>): SnapshotRecord {
  return {
    id: row.id as number,
    takenAt: row.taken_at as Date,
    change: row.change as ActiveModelChange,
    modelVersion: row.model_version as number | null,
    replacedBy: row.replaced_by as number | null,
    artifactSha256: row.artifact_sha256 as string | null,
    metrics: row.metrics,
    featurePipelineVersion: row.feature_pipeline_version as number | null,
    packageVersion: row.package_version as string,
    changedBy: row.changed_by as string,
  };
}

/** Stores a model as a candidate; with a `trainingRun` already stored, returns that one instead (`created` false). */
export async function insertModel(db: pg.Pool | pg.PoolClient, model: NewModel): Promise<{ version: number; created: boolean }> {
  const inserted = await db.query(
    `INSERT INTO ml_models (status, algorithm, parameters, feature_pipeline_version, training_from, training_to, metrics,
       explanation, canary_probability, decision_reason, artifact, artifact_sha256, artifact_bytes, source, created_by, training_run)
     VALUES ('candidate', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (training_run) DO NOTHING RETURNING version`,
    [
      model.algorithm,
      JSON.stringify(model.parameters),
      model.featurePipelineVersion,
      model.trainingFrom,
      model.trainingTo,
      JSON.stringify(model.metrics),
      model.explanation === undefined ? null : JSON.stringify(model.explanation),
      model.canaryProbability,
      model.decisionReason,
      model.artifact,
      sha256Hex(model.artifact),
      model.artifact.length,
      model.source,
      model.createdBy,
      model.trainingRun ?? null,
    ],
  );
  if (inserted.rows[0]) return { version: inserted.rows[0].version, created: true };
  const existing = await db.query('SELECT version FROM ml_models WHERE training_run = $1', [model.trainingRun]);
  return { version: existing.rows[0].version, created: false };
}

export async function listModels(db: pg.Pool): Promise<ModelSummary[]> {
  const r = await db.query(`SELECT ${SUMMARY_COLUMNS} FROM ml_models ORDER BY version`);
  return r.rows.map(toSummary);
}

export async function getModel(db: pg.Pool | pg.PoolClient, version: number): Promise<ModelSummary | undefined> {
  const r = await db.query(`SELECT ${SUMMARY_COLUMNS} FROM ml_models WHERE version = $1`, [version]);
  return r.rows[0] ? toSummary(r.rows[0]) : undefined;
}

export async function getModelArtifact(db: pg.Pool | pg.PoolClient, version: number): Promise<{ artifact: Buffer; artifactSha256: string } | undefined> {
  const r = await db.query('SELECT artifact, artifact_sha256 FROM ml_models WHERE version = $1', [version]);
  return r.rows[0] ? { artifact: r.rows[0].artifact as Buffer, artifactSha256: r.rows[0].artifact_sha256 as string } : undefined;
}

/** The active model's identity, cheap enough to ask on every prediction. */
export async function activeModelRef(db: pg.Pool | pg.PoolClient): Promise<{ version: number; artifactSha256: string; algorithm: string } | null> {
  const r = await db.query(`SELECT version, artifact_sha256, algorithm FROM ml_models WHERE status = 'active'`);
  const row = r.rows[0];
  return row ? { version: row.version, artifactSha256: row.artifact_sha256, algorithm: row.algorithm } : null;
}

export async function setDecisionReason(db: pg.Pool, version: number, reason: string): Promise<void> {
  await db.query('UPDATE ml_models SET decision_reason = $2 WHERE version = $1', [version, reason]);
}

export async function insertAudit(db: pg.Pool | pg.PoolClient, e: AuditEvent): Promise<void> {
  await db.query(
    `INSERT INTO model_audit (event, model_version, previous_version, snapshot_id, actor, reason, details, dedupe_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      e.event,
      e.modelVersion ?? null,
      e.previousVersion ?? null,
      e.snapshotId ?? null,
      e.actor,
      e.reason ?? null,
      JSON.stringify(e.details ?? {}),
      e.dedupeKey ?? null,
    ],
  );
}

export interface AuditRecord extends Required<Omit<AuditEvent, 'dedupeKey'>> {
  id: number;
  at: Date;
}

export async function listAudit(db: pg.Pool, limit = 100): Promise<AuditRecord[]> {
  const r = await db.query('SELECT * FROM model_audit ORDER BY id DESC LIMIT $1', [limit]);
  return r.rows.map((row) => ({
    id: Number(row.id),
    at: row.at,
    event: row.event,
    modelVersion: row.model_version,
    previousVersion: row.previous_version,
    snapshotId: row.snapshot_id,
    actor: row.actor,
    reason: row.reason,
    details: row.details,
  }));
}

async function auditByKey(db: pg.PoolClient, dedupeKey: string): Promise<AuditRecord | undefined> {
  const r = await db.query('SELECT * FROM model_audit WHERE dedupe_key = $1', [dedupeKey]);
  const row = r.rows[0];
  return row
    ? {
        id: Number(row.id),
        at: row.at,
        event: row.event,
        modelVersion: row.model_version,
        previousVersion: row.previous_version,
        snapshotId: row.snapshot_id,
        actor: row.actor,
        reason: row.reason,
        details: row.details,
      }
    : undefined;
}

export async function listSnapshots(db: pg.Pool): Promise<SnapshotRecord[]> {
  const r = await db.query(
    `SELECT id, taken_at, change, model_version, replaced_by, artifact_sha256, metrics, feature_pipeline_version, package_version, changed_by
       FROM model_snapshots ORDER BY id`,
  );
  return r.rows.map(toSnapshot);
}

/** The snapshot to restore: the newest one of `version`, or (no version) the newest of all, i.e. the state before the last change. */
export async function findSnapshot(db: pg.Pool | pg.PoolClient, version?: number): Promise<SnapshotRecord | undefined> {
  const r = await db.query(
    `SELECT id, taken_at, change, model_version, replaced_by, artifact_sha256, metrics, feature_pipeline_version, package_version, changed_by
       FROM model_snapshots ${version === undefined ? '' : 'WHERE model_version = $1'} ORDER BY id DESC LIMIT 1`,
    version === undefined ? [] : [version],
  );
  return r.rows[0] ? toSnapshot(r.rows[0]) : undefined;
}

export async function getSnapshotArtifact(
  db: pg.Pool | pg.PoolClient,
  id: number,
): Promise<{ snapshot: SnapshotRecord; artifact: Buffer | null; model: Record<string, unknown> | null } | undefined> {
  const r = await db.query('SELECT * FROM model_snapshots WHERE id = $1', [id]);
  const row = r.rows[0];
  return row ? { snapshot: toSnapshot(row), artifact: row.artifact as Buffer | null, model: row.model as Record<string, unknown> | null } : undefined;
}

/**
 * Writes the snapshot of the currently active model (or of "none active") inside the caller's transaction. The
 * artifact is copied inside the database: megabytes never make the round trip through this process.
 */
async function snapshotActive(
  client: pg.PoolClient,
  change: ActiveModelChange,
  replacedBy: number | null,
  changedBy: string,
  packageVersion: string,
): Promise<{ snapshotId: number; activeVersion: number | null }> {
  await client.query(`SELECT version FROM ml_models WHERE status = 'active' FOR UPDATE`);
  const inserted = await client.query(
    `INSERT INTO model_snapshots (change, model_version, replaced_by, artifact, artifact_sha256, metrics, feature_pipeline_version,
       package_version, model, changed_by)
     SELECT $1, m.version, $2, m.artifact, m.artifact_sha256, m.metrics, m.feature_pipeline_version, $3,
            CASE WHEN m.version IS NULL THEN NULL ELSE to_jsonb(m) - 'artifact' END, $4
       FROM (SELECT 1) AS one LEFT JOIN ml_models m ON m.status = 'active'
     RETURNING id, model_version`,
    [change, replacedBy, packageVersion, changedBy],
  );
  return { snapshotId: inserted.rows[0].id, activeVersion: inserted.rows[0].model_version ?? null };
}

async function lockActiveModel(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [ACTIVE_MODEL_LOCK]);
}

export interface PromotionOutcome {
  promoted: boolean;
  previousVersion: number | null;
  snapshotId: number | null;
  reason: string;
}

/**
 * Makes a candidate the active model, with a snapshot of the one it replaces, in one transaction. Refuses (no
 * change) when `expectedActiveVersion` is given and another model became active meanwhile. Idempotent per `changeKey`.
 */
export async function promoteModel(
  pool: pg.Pool,
  options: { version: number; expectedActiveVersion?: number | null; actor: string; reason: string; packageVersion: string; changeKey: string },
): Promise<PromotionOutcome> {
  return inTransaction(pool, async (client) => {
    await lockActiveModel(client);
    const done = await auditByKey(client, options.changeKey);
    if (done) return { promoted: done.event === 'promoted', previousVersion: done.previousVersion, snapshotId: done.snapshotId, reason: done.reason ?? '' };
    const target = await client.query('SELECT status FROM ml_models WHERE version = $1 FOR UPDATE', [options.version]);
    if (!target.rows[0]) throw new ModelRegistryError(`model ${options.version} does not exist`);
    const current = await activeModelRef(client);
    const currentVersion = current?.version ?? null;
    if (currentVersion === options.version)
      return { promoted: false, previousVersion: currentVersion, snapshotId: null, reason: `model ${options.version} is already active` };
    if (options.expectedActiveVersion !== undefined && options.expectedActiveVersion !== currentVersion) {
      const reason = `kept as candidate: the active model changed from ${options.expectedActiveVersion ?? 'none'} to ${currentVersion ?? 'none'} while it was evaluated; retrain to compare with the new one`;
      await client.query('UPDATE ml_models SET decision_reason = $2 WHERE version = $1', [options.version, reason]);
      await insertAudit(client, {
        event: 'kept-candidate',
        modelVersion: options.version,
        previousVersion: currentVersion,
        actor: options.actor,
        reason,
        dedupeKey: options.changeKey,
      });
      return { promoted: false, previousVersion: currentVersion, snapshotId: null, reason };
    }
    const { snapshotId } = await snapshotActive(client, 'promotion', options.version, options.actor, options.packageVersion);
    await client.query(`UPDATE ml_models SET status = 'archived', status_changed_at = now() WHERE status = 'active'`);
    await client.query(`UPDATE ml_models SET status = 'active', status_changed_at = now(), decision_reason = $2 WHERE version = $1`, [
      options.version,
      options.reason,
    ]);
    await insertAudit(client, {
      event: 'promoted',
      modelVersion: options.version,
      previousVersion: currentVersion,
      snapshotId,
      actor: options.actor,
      reason: options.reason,
      dedupeKey: options.changeKey,
    });
    return { promoted: true, previousVersion: currentVersion, snapshotId, reason: options.reason };
  });
}

export interface RestoreOutcome {
  snapshotId: number;
  restoredVersion: number | null;
  previousVersion: number | null;
  newSnapshotId: number;
  artifactSha256: string | null;
}

/**
 * Restores a snapshot as the active model (its artifact bytes written back, so a corrupted registry row is
 * repaired; a deleted row is re-created), with a snapshot of the model it replaces, in one transaction. A snapshot of
 * "no active model" deactivates the current one (the rules predict). The snapshot's checksum is verified first.
 */
export async function restoreSnapshot(
  pool: pg.Pool,
  options: { snapshotId: number; actor: string; reason: string; packageVersion: string; changeKey: string },
): Promise<RestoreOutcome> {
  return inTransaction(pool, async (client) => {
    await lockActiveModel(client);
    const done = await auditByKey(client, options.changeKey);
    if (done && done.event === 'rolled-back') return done.details as unknown as RestoreOutcome;
    const stored = await getSnapshotArtifact(client, options.snapshotId);
    if (!stored) throw new ModelRegistryError(`snapshot ${options.snapshotId} does not exist`);
    const { snapshot, artifact, model } = stored;
    if (artifact && sha256Hex(artifact) !== snapshot.artifactSha256) {
      throw new ModelRegistryError(`snapshot ${snapshot.id} of model ${snapshot.modelVersion} fails its checksum: not restored`);
    }
    const { snapshotId: newSnapshotId, activeVersion } = await snapshotActive(client, 'rollback', snapshot.modelVersion, options.actor, options.packageVersion);
    await client.query(`UPDATE ml_models SET status = 'archived', status_changed_at = now() WHERE status = 'active'`);
    if (snapshot.modelVersion !== null && artifact) {
      const updated = await client.query(
        `UPDATE ml_models SET status = 'active', status_changed_at = now(), artifact = $2, artifact_sha256 = $3, artifact_bytes = $4
          WHERE version = $1`,
        [snapshot.modelVersion, artifact, snapshot.artifactSha256, artifact.length],
      );
      if (updated.rowCount === 0) await recreateModel(client, snapshot.modelVersion, artifact, model ?? {});
    }
    const outcome: RestoreOutcome = {
      snapshotId: snapshot.id,
      restoredVersion: snapshot.modelVersion,
      previousVersion: activeVersion,
      newSnapshotId,
      artifactSha256: snapshot.artifactSha256,
    };
    await insertAudit(client, {
      event: 'rolled-back',
      modelVersion: snapshot.modelVersion,
      previousVersion: activeVersion,
      snapshotId: snapshot.id,
      actor: options.actor,
      reason: options.reason,
      details: outcome as unknown as Record<string, unknown>,
      dedupeKey: options.changeKey,
    });
    return outcome;
  });
}

/** Puts a deleted model back from its snapshot, under its own version number. */
async function recreateModel(client: pg.PoolClient, version: number, artifact: Buffer, model: Record<string, unknown>): Promise<void> {
  const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
  await client.query(
    `INSERT INTO ml_models (version, created_at, status, algorithm, parameters, feature_pipeline_version, training_from, training_to,
       metrics, explanation, canary_probability, decision_reason, artifact, artifact_sha256, artifact_bytes, source, created_by)
     VALUES ($1, COALESCE($2::timestamptz, now()), 'active', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      version,
      model.created_at ?? null,
      model.algorithm ?? 'unknown',
      json(model.parameters) ?? '{}',
      model.feature_pipeline_version ?? 1,
      model.training_from ?? null,
      model.training_to ?? null,
      json(model.metrics) ?? '{}',
      json(model.explanation),
      model.canary_probability ?? null,
      model.decision_reason ?? null,
      artifact,
      sha256Hex(artifact),
      artifact.length,
      model.source ?? 'training',
      model.created_by ?? 'restored from snapshot',
    ],
  );
}

/** Deletes a model; deleting the active one snapshots it first (same transaction) and leaves the rules predicting. */
export async function deleteModel(
  pool: pg.Pool,
  options: { version: number; actor: string; reason: string; packageVersion: string },
): Promise<{ deleted: boolean; wasActive: boolean; snapshotId: number | null }> {
  return inTransaction(pool, async (client) => {
    await lockActiveModel(client);
    const row = await client.query('SELECT status FROM ml_models WHERE version = $1 FOR UPDATE', [options.version]);
    if (!row.rows[0]) return { deleted: false, wasActive: false, snapshotId: null };
    const wasActive = row.rows[0].status === 'active';
    const snapshotId = wasActive ? (await snapshotActive(client, 'deletion', null, options.actor, options.packageVersion)).snapshotId : null;
    await client.query('DELETE FROM ml_models WHERE version = $1', [options.version]);
    await insertAudit(client, {
      event: 'deleted',
      modelVersion: options.version,
      snapshotId,
      actor: options.actor,
      reason: options.reason,
      details: { wasActive },
    });
    return { deleted: true, wasActive, snapshotId };
  });
}
