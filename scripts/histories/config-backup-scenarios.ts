// Configuration backups: a full run (environment, files with one missing, an application config), the same run
// again, and a run that has to wait for the lock. The files and variables hold the recording canary where a password would be: the
// activities must report metadata only, so it can never reach a history.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import proto from '@temporalio/proto';
import { acquireConfigBackupLock, releaseConfigBackupLock } from '../../db/repositories/config-backups.js';
import { configBackupWorkflowId, type ConfigBackupInput, type ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { RECORDING_CANARY } from '../../test/fixtures/histories/fixture-set.js';
import { completed, eventually, RECORDED_AT, type Recorder } from './recording.js';
import { TASK_QUEUE } from './stack.js';

const TYPE = 'configBackupWorkflow';
const ENV_PREFIX = 'RECORDER_CFG_';
const MAINTENANCE_HOLDER = 'history-recorder:maintenance';
const TIMER_STARTED = proto.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED;

/** The worker's config-backup environment for the recording (the activities read it when they run). */
export function configBackupEnv({ storeDir, etcDir }: { storeDir: string; etcDir: string }): Record<string, string> {
  return {
    CONFIG_BACKUP_DIR: storeDir,
    CONFIG_ENV_PREFIX: ENV_PREFIX,
    CONFIG_FILES_TO_BACKUP: ['app.yaml', 'settings.json', 'missing.yaml'].map((file) => path.join(etcDir, file)).join(','),
    [`${ENV_PREFIX}DB_PASSWORD`]: RECORDING_CANARY,
    [`${ENV_PREFIX}HOST`]: 'db.internal',
  };
}

export async function recordConfigBackup(r: Recorder): Promise<void> {
  const { client, pool, etcDir } = r.stack;
  await writeFile(path.join(etcDir, 'app.yaml'), `db:\n  host: db.internal\n  password: ${RECORDING_CANARY}\n`);
  await writeFile(path.join(etcDir, 'settings.json'), `${JSON.stringify({ api: { token: RECORDING_CANARY, url: 'https://api.example.com' }, retries: 3 })}\n`);
  const start = (scenario: string, input: ConfigBackupInput) =>
    client.workflow.start('configBackupWorkflow', { taskQueue: TASK_QUEUE, workflowId: `${configBackupWorkflowId(RECORDED_AT)}-${scenario}`, args: [input] });

  // The app config travels in the input by design (sealed by the codec); it holds nothing secret here.
  const full = await start('env-files-app-one-failed', { apps: [{ name: 'billing', config: { currency: 'EUR', workers: 4 } }] });
  await r.capture<ConfigBackupResult>(
    TYPE,
    'env-files-app-one-failed',
    full,
    completed(({ totals }) => (totals.failed === 1 && totals.backedUp === 4 ? undefined : `totals ${JSON.stringify(totals)}`)),
  );

  // The same run again: nothing new to store. Recorded after the overlapping-steps patch (environment and file
  // batches in parallel), so it replays that branch; the fixture above stands for the sequential one.
  const again = await start('env-files-app-overlapping-steps', { apps: [{ name: 'billing', config: { currency: 'EUR', workers: 4 } }] });
  await r.capture<ConfigBackupResult>(
    TYPE,
    'env-files-app-overlapping-steps',
    again,
    completed(({ totals }) => (totals.failed === 1 && totals.unchanged === 4 ? undefined : `totals ${JSON.stringify(totals)}`)),
  );

  // Maintenance (prune, rotate-key) holds the lock: the run waits on durable timers, then goes ahead.
  const lock = await acquireConfigBackupLock(pool, MAINTENANCE_HOLDER, 5 * 60_000);
  if (!lock.acquired) throw new Error(`the config-backup lock is held by ${lock.holder}`);
  let waiting;
  try {
    waiting = await start('waits-for-lock', { files: [path.join(etcDir, 'app.yaml')] });
    const handle = waiting;
    await eventually('the run to wait for the lock', async () => (await handle.fetchHistory()).events?.some((event) => event.eventType === TIMER_STARTED));
  } finally {
    await releaseConfigBackupLock(pool, MAINTENANCE_HOLDER);
  }
  await r.capture<ConfigBackupResult>(
    TYPE,
    'waits-for-lock',
    waiting,
    completed(({ waitedForLockMs, totals }) =>
      waitedForLockMs > 0 && totals.failed === 0 ? undefined : `waited ${waitedForLockMs} ms, totals ${JSON.stringify(totals)}`,
    ),
  );
}
