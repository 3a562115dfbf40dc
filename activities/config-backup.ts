/**
 * Activities of `configBackupWorkflow`. What to back up and the key come from the WORKER's environment
 * (CONFIG_ENV_PREFIX, CONFIG_FILES_TO_BACKUP, CONFIG_BACKUP_DIR, CONFIG_BACKUP_KEY), read at each call. They return
 * metadata only (names, statuses, reasons, byte counts): no value, no view, no key material.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigCryptoError } from '../domain/config-backup/errors.js';
import type { Keyring } from '../domain/config-backup/keyring.js';
import type { AppConfigInput, BatchOutcome, ConfigBackupTotals } from '../domain/config-backup/contract.js';
import {
  abandonStaleSets,
  acquireConfigBackupLock,
  createBackupSet,
  failBackupSet,
  finishBackupSet,
  keyIdsInUse,
  LockLostError,
  referencedHashes,
  releaseConfigBackupLock,
  renewConfigBackupLock,
} from '../db/repositories/config-backups.js';
import { inTransaction } from '../db/pool.js';
import { backupApps, backupEnvironment, backupFiles } from '../capabilities/config-backup/run/backup-items.js';
import { checkKeyringAgainstStore, claimActiveKey } from '../capabilities/config-backup/run/key-check.js';
import { expandFilePatterns, MAX_FILES_PER_RUN } from '../capabilities/config-backup/run/plan.js';
import type { RunServices } from '../capabilities/config-backup/services.js';
import { sharedViewPool } from '../capabilities/config-backup/run/view-pool.js';
import { PayloadStore } from '../capabilities/config-backup/store/payload-store.js';
import { FORMAT_ONLY_REDACTOR } from '../platform/redact.js';
import type { ActivityDeps } from './deps.js';
import { invalidInput } from '../platform/failures.js';

/** Lock lease; renewed by every commit and while files are processed, so only a dead holder loses it. */
export const CONFIG_BACKUP_LEASE_MS = 120_000;
/** Below this many files, parsing on the activity's own thread beats starting parse threads. */
const PARSE_THREADS_FROM_FILES = 48;

export interface PlanInput {
  envPrefix?: string;
  files?: string[];
  sensitiveKeys?: string[];
}

export interface ConfigBackupPlan {
  envPrefix: string | null;
  files: string[];
  unmatchedPatterns: string[];
  keyId: string;
  storeDir: string;
}

export type BeginResult =
  | { acquired: true; setId: number; startedAt: string; keyId: string }
  | { acquired: false; heldBy: string | null; since: string | null };

interface StepInput {
  holder: string;
  setId: number;
  sensitiveKeys?: string[];
}

/** Key problems never get better by retrying: fail the run at once, with the core's message (no key material). */
function keyFailure(error: unknown): unknown {
  if (error instanceof ConfigCryptoError) {
    const type = error.code === 'MISSING_KEY' ? 'MissingKey' : error.code === 'KEY_MISMATCH' ? 'WrongKey' : 'InvalidKey';
    return ApplicationFailure.nonRetryable(error.message, type);
  }
  if (error instanceof LockLostError) return ApplicationFailure.nonRetryable(error.message, 'LockLost');
  return error;
}

export function createConfigBackupActivities(deps: ActivityDeps) {
  const log = deps.log.child({ capability: 'config-backup' });
  const source = deps.configBackup;

  const keyringOrFail = (): Keyring => {
    try {
      return source.keyring();
    } catch (error) {
      throw keyFailure(error);
    }
  };

  const servicesOrFail = (sensitiveKeys: string[] | undefined): RunServices => {
    try {
      return source.services(sensitiveKeys ?? []);
    } catch (error) {
      throw keyFailure(error);
    }
  };

  /** A step's services, refused when its key is not the one recorded for its id (the key is read per step). */
  const checkedServices = async (sensitiveKeys: string[] | undefined): Promise<RunServices> => {
    const services = servicesOrFail(sensitiveKeys);
    try {
      await claimActiveKey(deps.db, services.keyring);
    } catch (error) {
      throw keyFailure(error);
    }
    return services;
  };

  const logOutcome = (step: string, setId: number, outcome: BatchOutcome) => {
    const count = (status: string) => outcome.items.filter((i) => i.status === status).length;
    log.info(
      { setId, step, backedUp: count('backed_up'), unchanged: count('unchanged'), failed: count('failed'), payloadBytesWritten: outcome.payloadBytesWritten },
      `config backup: ${step} done`,
    );
    for (const item of outcome.items.filter((i) => i.status === 'failed'))
      log.warn({ setId, type: item.type, item: item.name }, `config backup item failed: ${item.reason ?? 'unknown reason'}`);
  };

  return {
    /**
     * Resolves what this run backs up from the input and the worker's environment. Writes nothing. Fails at once
     * without a usable key, when the key cannot read what earlier runs stored (a wrong key), and when a key's id is
     * recorded for another key (capabilities/config-backup/run/key-check.ts).
     */
    async planConfigBackup(input: PlanInput): Promise<ConfigBackupPlan> {
      const keyring = keyringOrFail();
      const missing = [...(await keyIdsInUse(deps.db))].filter(([id]) => !keyring.has(id));
      if (missing.length > 0) {
        const described = missing.map(([id, n]) => `"${id}" (${n} item(s))`).join(', ');
        throw ApplicationFailure.nonRetryable(
          `CONFIG_BACKUP_KEY cannot read existing backups: it lacks key id(s) ${described} (keyring has: ${keyring.keyIds.join(', ')}). ` +
            'Wrong key? To change keys, list the old one after the new one (`*new:B64,old:B64`) and run `sentinel config rotate-key`.',
          'WrongKey',
        );
      }
      const settings = source.settings();
      try {
        await checkKeyringAgainstStore(deps.db, keyring, new PayloadStore(settings.dir));
      } catch (error) {
        throw keyFailure(error);
      }
      const envPrefix = input.envPrefix ?? settings.envPrefix ?? null;
      const { files, unmatched } = await expandFilePatterns(input.files ?? settings.files);
      if (files.length > MAX_FILES_PER_RUN) throw invalidInput(`the file patterns match ${files.length} files; at most ${MAX_FILES_PER_RUN} per run`);
      if (files.length >= PARSE_THREADS_FROM_FILES) {
        const services = servicesOrFail(input.sensitiveKeys);
        sharedViewPool(services.keySpec, services.sensitiveKeys).warmUp();
      }
      log.info({ envPrefix, files: files.length, unmatchedPatterns: unmatched.length, keyId: keyring.activeKeyId }, 'config backup planned');
      return { envPrefix, files, unmatchedPatterns: unmatched, keyId: keyring.activeKeyId, storeDir: settings.dir };
    },

    /**
     * Records the key check value of a key id's first use, takes the run lock and opens the run's backup set;
     * reports the holder when another run has the lock.
     */
    async beginConfigBackup(input: { holder: string; workflowId: string; envPrefix: string | null }): Promise<BeginResult> {
      const keyring = keyringOrFail();
      try {
        // Again here (the plan may have run on another worker), and the first use of a key id records it.
        await checkKeyringAgainstStore(deps.db, keyring, new PayloadStore(source.settings().dir));
        await claimActiveKey(deps.db, keyring);
      } catch (error) {
        throw keyFailure(error);
      }
      const lock = await acquireConfigBackupLock(deps.db, input.holder, CONFIG_BACKUP_LEASE_MS);
      if (!lock.acquired) return { acquired: false, heldBy: lock.holder, since: lock.acquiredAt?.toISOString() ?? null };
      const abandoned = await abandonStaleSets(deps.db, input.holder);
      if (abandoned > 0) log.warn({ abandoned }, 'config backup: marked sets of runs that never finished as failed');
      const set = await createBackupSet(deps.db, {
        workflowId: input.workflowId,
        holder: input.holder,
        envPrefix: input.envPrefix,
        keyId: keyring.activeKeyId,
      });
      log.info({ setId: set.id, workflowId: input.workflowId }, 'config backup started');
      return { acquired: true, setId: set.id, startedAt: set.startedAt.toISOString(), keyId: keyring.activeKeyId };
    },

    async backupConfigEnv(input: StepInput & { envPrefix: string }): Promise<BatchOutcome> {
      const services = await checkedServices(input.sensitiveKeys);
      try {
        const outcome = await backupEnvironment({
          db: deps.db,
          setId: input.setId,
          holder: input.holder,
          leaseMs: CONFIG_BACKUP_LEASE_MS,
          services,
          prefix: input.envPrefix,
          env: source.variables(),
        });
        logOutcome('environment', input.setId, outcome);
        return outcome;
      } catch (error) {
        if (error instanceof RangeError) throw invalidInput(error.message);
        throw keyFailure(error);
      }
    },

    /** One batch of files; heartbeats per file and keeps the lock lease fresh while it works. */
    async backupConfigFiles(input: StepInput & { paths: string[]; unmatchedPatterns?: string[]; batch: number }): Promise<BatchOutcome> {
      const services = await checkedServices(input.sensitiveKeys);
      const context = Context.current();
      const pool = input.paths.length >= PARSE_THREADS_FROM_FILES ? sharedViewPool(services.keySpec, services.sensitiveKeys) : null;
      let lastRenewal = Date.now();
      let lastBeat = 0;
      try {
        const outcome = await backupFiles({
          db: deps.db,
          setId: input.setId,
          holder: input.holder,
          leaseMs: CONFIG_BACKUP_LEASE_MS,
          services,
          paths: input.paths,
          unmatchedPatterns: input.unmatchedPatterns,
          pool,
          signal: context.cancellationSignal,
          onProgress: async (done, total) => {
            // Every heartbeat is encoded (and encrypted) before the SDK throttles it: a few per second are plenty.
            if (Date.now() - lastBeat >= 250 || done === total) {
              lastBeat = Date.now();
              context.heartbeat({ batch: input.batch, done, total });
            }
            if (Date.now() - lastRenewal > CONFIG_BACKUP_LEASE_MS / 8) {
              lastRenewal = Date.now();
              await renewConfigBackupLock(deps.db, input.holder, CONFIG_BACKUP_LEASE_MS);
            }
          },
        });
        logOutcome(`files batch ${input.batch}`, input.setId, outcome);
        return outcome;
      } catch (error) {
        throw keyFailure(error);
      }
    },

    async backupConfigApps(input: StepInput & { apps: AppConfigInput[] }): Promise<BatchOutcome> {
      const services = await checkedServices(input.sensitiveKeys);
      try {
        const outcome = await backupApps({
          db: deps.db,
          setId: input.setId,
          holder: input.holder,
          leaseMs: CONFIG_BACKUP_LEASE_MS,
          services,
          apps: input.apps,
        });
        logOutcome('applications', input.setId, outcome);
        return outcome;
      } catch (error) {
        throw keyFailure(error);
      }
    },

    /**
     * Removes payloads no item references (orphans of crashed runs, leftovers of prune) while still holding the
     * lock, records the run's totals and releases the lock.
     */
    async finishConfigBackup(input: {
      holder: string;
      setId: number;
      totals: ConfigBackupTotals;
    }): Promise<{ finishedAt: string; removedPayloads: number; bytesFreed: number }> {
      try {
        await renewConfigBackupLock(deps.db, input.holder, CONFIG_BACKUP_LEASE_MS);
        const store = new PayloadStore(source.settings().dir);
        const cleanup = await store.removeUnreferenced(await referencedHashes(deps.db));
        const finishedAt = await inTransaction(deps.db, async (client) => {
          await renewConfigBackupLock(client, input.holder, CONFIG_BACKUP_LEASE_MS);
          const at = await finishBackupSet(client, input.setId, { status: 'completed', ...input.totals });
          await releaseConfigBackupLock(client, input.holder);
          return at;
        });
        log.info({ setId: input.setId, ...input.totals, removedPayloads: cleanup.removed.length, bytesFreed: cleanup.bytesFreed }, 'config backup finished');
        return { finishedAt: finishedAt.toISOString(), removedPayloads: cleanup.removed.length, bytesFreed: cleanup.bytesFreed };
      } catch (error) {
        throw keyFailure(error);
      }
    },

    /** After a failed step: marks the set failed (committed items stay restorable) and releases the lock. */
    async abortConfigBackup(input: { holder: string; error: string }): Promise<void> {
      const message = (deps.redactor ?? FORMAT_ONLY_REDACTOR).redact(input.error).slice(0, 2000);
      await failBackupSet(deps.db, input.holder, message);
      await releaseConfigBackupLock(deps.db, input.holder);
      log.warn({ holder: input.holder }, `config backup failed: ${message}`);
    },
  };
}
