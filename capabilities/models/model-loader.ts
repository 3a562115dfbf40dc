/**
 * Loading a stored model safely: checksum of the bytes, then parse and pipeline-version checks
 * (domain/ml parseArtifact / loadFailureModel). Every problem becomes a reason string, never an exception, so
 * prediction can fall back to the rules and say why.
 *
 * `ActiveModelCache` keeps the loaded active model in the worker process keyed by version + SHA-256: each
 * prediction asks the database only for the active model's identity (a tiny query) and parses the artifact (MBs)
 * once. A bad artifact is remembered as bad under the same key, so it is not re-parsed on every call either.
 */
import type pg from 'pg';
import { activeModelRef, sha256Hex } from '../../db/repositories/models.js';
import { loadFailureModel, type FailureModel } from '../../domain/ml/model.js';
import { canaryFeatures } from '../../domain/models/canary.js';
import type { ModelExplanation } from '../../domain/models/explain.js';

export interface LoadedModel {
  version: number;
  algorithm: string;
  artifactSha256: string;
  model: FailureModel;
  explanation: ModelExplanation | null;
}

export type ModelLoad = { ok: true; loaded: LoadedModel } | { ok: false; version: number; reason: string };

/** Checks and loads artifact bytes. `expectedSha256` is the checksum stored when the model was written. */
export function loadArtifactBytes(
  version: number,
  bytes: Buffer | null,
  expectedSha256: string,
): { ok: true; model: FailureModel } | { ok: false; reason: string } {
  if (!bytes || bytes.length === 0) return { ok: false, reason: `artifact of model ${version} is missing` };
  const actual = sha256Hex(bytes);
  if (actual !== expectedSha256) {
    return {
      ok: false,
      reason: `artifact checksum mismatch for model ${version} (stored sha256 ${expectedSha256.slice(0, 12)}..., bytes hash to ${actual.slice(0, 12)}...): corrupt or truncated`,
    };
  }
  try {
    return { ok: true, model: loadFailureModel(bytes.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: `model ${version} cannot be loaded: ${(error as Error).message}` };
  }
}

/** The canary probability of a loaded model (compared exactly with the one recorded at storage time). */
export function canaryProbability(model: FailureModel): number {
  return model.predict(canaryFeatures());
}

const MAX_CACHED = 4;

export class ActiveModelCache {
  private readonly entries = new Map<string, ModelLoad>();

  /** The active model, loaded (or why it cannot be); null when no model is active. */
  async active(db: pg.Pool): Promise<ModelLoad | null> {
    const ref = await activeModelRef(db);
    if (!ref) return null;
    const key = `${ref.version}:${ref.artifactSha256}`;
    const cached = this.entries.get(key);
    if (cached) return cached;
    const row = await db.query('SELECT artifact, explanation FROM ml_models WHERE version = $1 AND artifact_sha256 = $2', [ref.version, ref.artifactSha256]);
    // Changed between the two queries (a promotion or rollback): the next call sees the new identity.
    if (!row.rows[0]) return this.active(db);
    const loaded = loadArtifactBytes(ref.version, row.rows[0].artifact as Buffer | null, ref.artifactSha256);
    const entry: ModelLoad = loaded.ok
      ? {
          ok: true,
          loaded: {
            version: ref.version,
            algorithm: ref.algorithm,
            artifactSha256: ref.artifactSha256,
            model: loaded.model,
            explanation: (row.rows[0].explanation as ModelExplanation | null) ?? null,
          },
        }
      : { ok: false, version: ref.version, reason: loaded.reason };
    if (this.entries.size >= MAX_CACHED) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The worker process's cache (and the CLI's, for its one prediction). */
export const processModelCache = new ActiveModelCache();
