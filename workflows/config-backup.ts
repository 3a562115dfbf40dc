import { ApplicationFailure, CancellationScope, log, patched, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import type { BeginResult } from '../activities/config-backup.js';
import {
  batches,
  summarizeOutcomes,
  validateConfigBackupInput,
  type BatchOutcome,
  type ConfigBackupInput,
  type ConfigBackupResult,
} from '../domain/config-backup/contract.js';
import { clearError, clearFailure, exponentialRetry, INVALID_INPUT, rejectInvalidInput, rootMessage, sendAlertAndContinue, stepRetry } from './glue.js';

/** Failure types no retry can fix: bad input, a missing/invalid/wrong key, a lock taken over after a lease ran out. */
const NON_RETRYABLE = [INVALID_INPUT, 'MissingKey', 'InvalidKey', 'WrongKey', 'LockLost'];
/** The failure type of a run's own failure when the activity's non-retryable failure names none. */
const FAILURE_TYPE = 'ConfigBackupFailed';
const FILES_PER_BATCH = 500;
/**
 * Since this patch the environment snapshot and the file batches overlap, two batches at a time: one batch's
 * drain and final commit no longer leave the worker's parse threads idle (the shared parse pool bounds the CPU either
 * way). Histories recorded before it replay the sequential order.
 */
const OVERLAPPING_STEPS_PATCH = 'config-backup-overlapping-steps';
const BATCHES_IN_FLIGHT = 2;
/** A run that finds another one holding the lock waits (durable timers) this long, then gives up. */
export const LOCK_WAIT_MS = 60 * 60_000;

// Ten attempts (about 2.5 min of backoff for `quick`, 5 min for the batches): every step needs PostgreSQL, and with
// five a 30 s database outage (a restart, a failover) used up the retries and failed the night's run.
const quick = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '2m',
  retry: stepRetry(NON_RETRYABLE),
});
const fileBatches = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '60s',
  retry: exponentialRetry({ initial: '2s', max: '1m', attempts: 10, nonRetryable: NON_RETRYABLE }),
});

/**
 * Backs up environment variables, configuration files and application configs (see README "Configuration
 * backups"). What to back up defaults to the worker's environment; the schedule starts it with `{}`. Runs never
 * overlap: a run waits for the lock another run holds. Every item is reported as backed up, unchanged or failed.
 */
export async function configBackupWorkflow(input: ConfigBackupInput = {}): Promise<ConfigBackupResult> {
  rejectInvalidInput('config backup input', validateConfigBackupInput(input));
  const request = input ?? {};
  const { workflowId, runId } = workflowInfo();
  const holder = `${workflowId}#${runId}`;
  const sensitiveKeys = request.sensitiveKeys;

  const plan = await clearFailure(() => quick.planConfigBackup({ envPrefix: request.envPrefix, files: request.files, sensitiveKeys }), FAILURE_TYPE);
  const waitStarted = Date.now();
  const begun = await acquireLock(holder, workflowId, plan.envPrefix);
  const waitedForLockMs = Date.now() - waitStarted;
  const { setId } = begun;

  try {
    const outcomes: BatchOutcome[] = [];
    const backUpEnv = () => quick.backupConfigEnv({ holder, setId, envPrefix: plan.envPrefix!, sensitiveKeys });
    const groups = batches(plan.files, FILES_PER_BATCH);
    if (groups.length === 0 && plan.unmatchedPatterns.length > 0) groups.push([]);
    const backUpBatch = (batch: number) =>
      fileBatches.backupConfigFiles({
        holder,
        setId,
        paths: groups[batch]!,
        unmatchedPatterns: batch === 0 ? plan.unmatchedPatterns : [],
        batch,
        sensitiveKeys,
      });
    if (patched(OVERLAPPING_STEPS_PATCH)) {
      const [env, files] = await Promise.all([plan.envPrefix !== null ? backUpEnv() : null, inLanes(groups.length, BATCHES_IN_FLIGHT, backUpBatch)]);
      if (env) outcomes.push(env);
      outcomes.push(...files);
    } else {
      if (plan.envPrefix !== null) outcomes.push(await backUpEnv());
      for (let batch = 0; batch < groups.length; batch++) outcomes.push(await backUpBatch(batch));
    }
    if (request.apps && request.apps.length > 0) outcomes.push(await quick.backupConfigApps({ holder, setId, apps: request.apps, sensitiveKeys }));

    const { items, totals } = summarizeOutcomes(outcomes);
    const finished = await quick.finishConfigBackup({ holder, setId, totals });
    setCurrentDetails(`${totals.backedUp} backed up, ${totals.unchanged} unchanged, ${totals.failed} failed`);
    if (totals.failed > 0)
      await alertFailures(
        holder,
        workflowId,
        items.filter((i) => i.status === 'failed').map((i) => `${i.type} ${i.name}`),
      );
    return {
      setId,
      workflowId,
      startedAt: begun.startedAt,
      finishedAt: finished.finishedAt,
      keyId: begun.keyId,
      waitedForLockMs,
      items,
      totals,
      cleanup: { removedPayloads: finished.removedPayloads, bytesFreed: finished.bytesFreed },
    };
  } catch (error) {
    await CancellationScope.nonCancellable(() => quick.abortConfigBackup({ holder, error: rootMessage(error) }));
    throw clearError(error, FAILURE_TYPE);
  }
}

/** Runs `count` steps, at most `lanes` at once, in index order; results in index order. */
async function inLanes<T>(count: number, lanes: number, step: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await step(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane));
  return results;
}

/** Takes the run lock, waiting with durable timers (1 s, doubling to 30 s) while another run holds it. */
async function acquireLock(holder: string, workflowId: string, envPrefix: string | null): Promise<Extract<BeginResult, { acquired: true }>> {
  const started = Date.now();
  let delay = 1000;
  for (;;) {
    const begun = await clearFailure(() => quick.beginConfigBackup({ holder, workflowId, envPrefix }), FAILURE_TYPE);
    if (begun.acquired) return begun;
    if (Date.now() - started >= LOCK_WAIT_MS) {
      throw ApplicationFailure.nonRetryable(
        `another configuration backup is running (${begun.heldBy ?? 'unknown'} since ${begun.since ?? 'unknown'}); gave up after waiting ${Math.round((Date.now() - started) / 60_000)} min`,
        'ConfigBackupBusy',
      );
    }
    log.info('config backup waiting for the lock', { heldBy: begun.heldBy, since: begun.since });
    await sleep(delay);
    delay = Math.min(delay * 2, 30_000);
  }
}

async function alertFailures(holder: string, workflowId: string, failed: string[]): Promise<void> {
  await sendAlertAndContinue(
    {
      dedupeKey: `${holder}:config-backup-failures`,
      target: null,
      workflowId,
      kind: 'config-backup-failures',
      severity: 'warning',
      message: `configuration backup: ${failed.length} item(s) failed: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ', ...' : ''}`,
      details: { failed: failed.slice(0, 100) },
    },
    'config backup alert could not be delivered',
  );
}
