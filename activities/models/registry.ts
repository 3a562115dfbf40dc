/**
 * Registry activities of the lifecycle: promotion (with its snapshot), restoring a snapshot (rollback),
 * verification of the active model, audit events, and pausing/unpausing the training schedule. Each is idempotent
 * per `changeKey` / dedupe key, so Temporal retries never apply a change twice.
 */
import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import {
  activeModelRef,
  findSnapshot,
  getModel,
  getModelArtifact,
  getSnapshotArtifact,
  insertAudit,
  ModelRegistryError,
  promoteModel,
  restoreSnapshot,
  sha256Hex,
} from '../../db/repositories/models.js';
import type { PromoteModelResult, RestoreSnapshotResult, ScheduleControl, VerifyActiveModelResult } from '../../domain/models/contract.js';
import { packageVersion } from '../../platform/package-version.js';
import type { ActivityDeps } from '../deps.js';
import { invalidInput } from '../../platform/failures.js';
import { canaryProbability, loadArtifactBytes } from '../../capabilities/models/model-loader.js';

function activityClient(): Client {
  return Context.current().client;
}

export async function promoteModelCandidate(
  deps: Pick<ActivityDeps, 'db' | 'log'>,
  input: { version: number; expectedActiveVersion: number | null; reason: string; actor: string; changeKey: string },
): Promise<PromoteModelResult> {
  try {
    const outcome = await promoteModel(deps.db, { ...input, packageVersion: packageVersion() });
    deps.log.info({ version: input.version, promoted: outcome.promoted, previous: outcome.previousVersion, snapshot: outcome.snapshotId }, 'model promotion');
    return {
      promoted: outcome.promoted,
      version: input.version,
      previousVersion: outcome.previousVersion,
      snapshotId: outcome.snapshotId,
      reason: outcome.reason,
    };
  } catch (error) {
    if (error instanceof ModelRegistryError) throw invalidInput(error.message);
    throw error;
  }
}

export async function recordModelEvent(
  deps: Pick<ActivityDeps, 'db'>,
  input: {
    event: string;
    version?: number | null;
    previousVersion?: number | null;
    snapshotId?: number | null;
    actor: string;
    reason: string;
    details?: Record<string, unknown>;
    dedupeKey: string;
  },
): Promise<void> {
  await insertAudit(deps.db, {
    event: input.event,
    modelVersion: input.version ?? null,
    previousVersion: input.previousVersion ?? null,
    snapshotId: input.snapshotId ?? null,
    actor: input.actor,
    reason: input.reason,
    details: input.details ?? {},
    dedupeKey: input.dedupeKey,
  });
}

/**
 * Pauses the schedule when it exists and is not paused already; reports what it found so resume undoes exactly that.
 * The schedule's note is kept as it is: `sentinel schedules apply` keeps its declaration fingerprint there, and a
 * changed note would look like a changed declaration. The reason goes to the audit trail instead.
 */
export async function pauseSchedule(client: Client, scheduleId: string): Promise<ScheduleControl> {
  const handle = client.schedule.getHandle(scheduleId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return { scheduleId, exists: false, wasPaused: false, pausedByUs: false };
    throw error;
  }
  if (description.state.paused) return { scheduleId, exists: true, wasPaused: true, pausedByUs: false };
  await handle.pause(description.state.note);
  return { scheduleId, exists: true, wasPaused: false, pausedByUs: true };
}

export async function resumeSchedule(client: Client, control: ScheduleControl): Promise<boolean> {
  if (!control.pausedByUs) return false;
  const handle = client.schedule.getHandle(control.scheduleId);
  try {
    const description = await handle.describe();
    if (!description.state.paused) return false;
    await handle.unpause(description.state.note);
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/**
 * Checks a stored artifact before it becomes active: checksum, parse (pipeline version), and the canary probability
 * recorded when it was stored (exact equality: the same bytes compute the same number).
 */
function verifyModelBytes(
  version: number,
  bytes: Buffer | null,
  sha256: string,
  expectedCanary: number | null,
): { ok: boolean; canary: number | null; problem?: string } {
  const loaded = loadArtifactBytes(version, bytes, sha256);
  if (!loaded.ok) return { ok: false, canary: null, problem: loaded.reason };
  const canary = canaryProbability(loaded.model);
  if (!Number.isFinite(canary) || canary < 0 || canary > 1) return { ok: false, canary, problem: `canary prediction of model ${version} is ${canary}` };
  if (expectedCanary !== null && canary !== expectedCanary) {
    return { ok: false, canary, problem: `canary prediction of model ${version} is ${canary}, recorded ${expectedCanary}` };
  }
  return { ok: true, canary };
}

/** Restores the chosen snapshot (newest of `toVersion`, else the newest of all), after verifying it. */
export async function restoreModelSnapshot(
  deps: Pick<ActivityDeps, 'db' | 'log'>,
  input: { toVersion?: number; actor: string; reason: string; changeKey: string },
): Promise<RestoreSnapshotResult> {
  const snapshot = await findSnapshot(deps.db, input.toVersion);
  if (!snapshot) {
    throw invalidInput(
      input.toVersion === undefined
        ? 'nothing to roll back: no model change has been recorded yet'
        : `no snapshot of model ${input.toVersion}: only models that were active (and then replaced) can be restored`,
    );
  }
  const stored = await getSnapshotArtifact(deps.db, snapshot.id);
  if (stored?.artifact && snapshot.modelVersion !== null) {
    const expected = (stored.model?.canary_probability as number | null | undefined) ?? null;
    const check = verifyModelBytes(snapshot.modelVersion, stored.artifact, snapshot.artifactSha256 as string, expected);
    if (!check.ok) throw invalidInput(`snapshot ${snapshot.id} cannot be restored: ${check.problem}`);
  }
  try {
    const outcome = await restoreSnapshot(deps.db, {
      snapshotId: snapshot.id,
      actor: input.actor,
      reason: input.reason,
      packageVersion: packageVersion(),
      changeKey: input.changeKey,
    });
    deps.log.info({ snapshot: outcome.snapshotId, restored: outcome.restoredVersion, previous: outcome.previousVersion }, 'model snapshot restored');
    return outcome;
  } catch (error) {
    if (error instanceof ModelRegistryError) throw invalidInput(error.message);
    throw error;
  }
}

/** Reads the active model back from the registry and checks it (checksum, load, canary). */
export async function verifyActiveModel(deps: Pick<ActivityDeps, 'db'>, input: { expectedVersion: number | null }): Promise<VerifyActiveModelResult> {
  const ref = await activeModelRef(deps.db);
  const version = ref?.version ?? null;
  if (version !== input.expectedVersion) {
    return {
      version,
      artifactSha256: ref?.artifactSha256 ?? null,
      checksumOk: false,
      canaryProbability: null,
      expectedCanaryProbability: null,
      ok: false,
      problem: `expected ${input.expectedVersion === null ? 'no active model' : `model ${input.expectedVersion}`} to be active, found ${version ?? 'none'}`,
    };
  }
  if (!ref) return { version: null, artifactSha256: null, checksumOk: true, canaryProbability: null, expectedCanaryProbability: null, ok: true };
  const stored = await getModelArtifact(deps.db, ref.version);
  const model = await getModel(deps.db, ref.version);
  const expected = model?.canaryProbability ?? null;
  const checksumOk = stored !== undefined && sha256Hex(stored.artifact) === ref.artifactSha256;
  const check = verifyModelBytes(ref.version, stored?.artifact ?? null, ref.artifactSha256, expected);
  return {
    version: ref.version,
    artifactSha256: ref.artifactSha256,
    checksumOk,
    canaryProbability: check.canary,
    expectedCanaryProbability: expected,
    ok: check.ok,
    ...(check.problem ? { problem: check.problem } : {}),
  };
}

export function createModelRegistryActivities(deps: ActivityDeps) {
  return {
    promoteModelCandidate: (input: Parameters<typeof promoteModelCandidate>[1]) => promoteModelCandidate(deps, input),
    recordModelEvent: (input: Parameters<typeof recordModelEvent>[1]) => recordModelEvent(deps, input),
    restoreModelSnapshot: (input: Parameters<typeof restoreModelSnapshot>[1]) => restoreModelSnapshot(deps, input),
    verifyActiveModel: (input: { expectedVersion: number | null }) => verifyActiveModel(deps, input),
    async pauseModelTraining(input: { scheduleId: string }): Promise<ScheduleControl> {
      return pauseSchedule(activityClient(), input.scheduleId);
    },
    async resumeModelTraining(input: { control: ScheduleControl }): Promise<boolean> {
      return resumeSchedule(activityClient(), input.control);
    },
  };
}
