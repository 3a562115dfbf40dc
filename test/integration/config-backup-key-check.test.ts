/**
 * A second, different key under an id the store already knows (a recreated development key `dev`) is refused by
 * `config backup` and `config rotate-key` before anything is written, instead of starting a second lineage that
 * verify and restore with the first key can only call "authentication failed".
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../domain/config-backup/keyring.js';
import type { ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startCapturingWorker, storeUsage } from '../helpers/config-backup.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { ExitCode } from '../../cli/exit-codes.js';

const KEY_A = `dev:${Buffer.alloc(32, 0x1a).toString('base64')}`;
const KEY_B = `dev:${Buffer.alloc(32, 0x2b).toString('base64')}`;
const KEY_C = `new:${Buffer.alloc(32, 0x3c).toString('base64')}`;
const PREFIX = 'CBKEY_';
const MISMATCH = 'key `dev` does not match the one that wrote this store';

let h: Harness;
let db: pg.Pool;
let dropDatabase: () => Promise<void>;
let storeDir: string;
let env: Record<string, string | undefined>;
let worker: { stop(): Promise<void> } | undefined;

/** The worker reads the key for its payload codec when it starts and for the store at every step: one per key. */
async function workerWithKey(key: string): Promise<void> {
  await worker?.stop();
  process.env.CONFIG_BACKUP_KEY = key;
  worker = await startCapturingWorker(h, db);
}

const cli = (args: string[], key: string): Promise<CliRun> => runCli(args, { ...env, CONFIG_BACKUP_KEY: key });

async function written(): Promise<{ rows: unknown; store: { objects: number; bytes: number }; keys: unknown }> {
  const rows = (
    await db.query(
      "SELECT (SELECT count(*) FROM config_backup_sets)::int AS sets, (SELECT count(*) FROM config_backup_items)::int AS items, (SELECT string_agg(key_id, ',' ORDER BY id) FROM config_backup_items) AS item_keys",
    )
  ).rows[0];
  const keys = (await db.query('SELECT key_id, check_value FROM config_backup_keys ORDER BY key_id')).rows;
  return { rows, store: await storeUsage(storeDir), keys };
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  process.env.CONFIG_BACKUP_KEY = KEY_A; // before the harness: its client's payload codec reads the key
  h = await createHarness('config-key-check');
  // Rotation acts on every item of a database: this file gets its own.
  const url = new URL(h.databaseUrl);
  const name = `${url.pathname.slice(1)}_cfgkey`;
  const admin = new pg.Client({ connectionString: h.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  url.pathname = `/${name}`;
  await migrate(url.toString());
  db = createPool(url.toString(), 5);
  dropDatabase = async () => {
    await db.end();
    const cleanup = new pg.Client({ connectionString: h.databaseUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  };

  const etc = path.join(h.dir, 'etc');
  storeDir = path.join(h.dir, 'config-store');
  await mkdir(etc, { recursive: true });
  await writeFile(path.join(etc, 'app.yaml'), 'db:\n  host: db.internal\n  password: s3cret-key-check\n');
  Object.assign(process.env, {
    CONFIG_BACKUP_DIR: storeDir,
    CONFIG_ENV_PREFIX: PREFIX,
    CONFIG_FILES_TO_BACKUP: path.join(etc, 'app.yaml'),
    [`${PREFIX}REGION`]: 'eu-west-1',
  });
  env = {
    TEMPORAL_ADDRESS: h.temporalAddress,
    DATABASE_URL: url.toString(),
    SENTINEL_CONFIG: h.configPath,
    SENTINEL_TASK_QUEUE: h.taskQueue,
    SENTINEL_DATA_DIR: h.dir,
    CONFIG_BACKUP_DIR: storeDir,
  };
});

afterAll(async () => {
  await worker?.stop();
  await dropDatabase?.();
  await h?.close();
});

describe('one key per key id in the configuration backup store', () => {
  it('the first backup records the key check value of `dev`; another key under `dev` is refused by backup and rotation, writing nothing', async () => {
    await workerWithKey(KEY_A);
    const first = await cli(['config', 'backup', '--wait', '--json'], KEY_A);
    expect(first.code, first.stderr).toBe(0);
    expect((JSON.parse(first.stdout) as ConfigBackupResult).totals).toMatchObject({ backedUp: 2, failed: 0 });
    expect((await db.query('SELECT key_id, check_value FROM config_backup_keys')).rows).toEqual([
      { key_id: 'dev', check_value: Keyring.fromSpec(KEY_A).keyCheckValue() },
    ]);
    const before = await written();

    // Before the fix this run succeeded and wrote a second `dev` lineage that key A cannot read.
    await workerWithKey(KEY_B);
    const refused = await cli(['config', 'backup', '--wait'], KEY_B);
    expect(refused.code).toBe(ExitCode.backupFailed);
    // The last stderr line is the error; lines before it are `--wait`'s progress.
    const errorLine = refused.stderr.trim().split('\n').at(-1)!;
    const workflowId = /^error: (config-backup\/\S+) failed: /.exec(errorLine)?.[1];
    expect(errorLine).toBe(`error: ${workflowId} failed: ${MISMATCH}`);
    // Non-retryable: the plan ran once and nothing after it started.
    const history = await h.client.workflow.getHandle(workflowId!).fetchHistory();
    const started = history
      .events!.filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    expect(started).toEqual(['planConfigBackup']);
    expect(history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    expect(await written()).toEqual(before);

    // Rotation with the other `dev` as the old key, and with it as the active key.
    for (const keyring of [`*${KEY_C},${KEY_B}`, KEY_B]) {
      const rotation = await cli(['config', 'rotate-key'], keyring);
      expect(rotation.stderr.trim(), keyring.split(':')[0]).toBe(`error: ${MISMATCH}`);
      expect(rotation.code).toBe(1);
      expect(await written()).toEqual(before);
    }

    // The first key's lineage is intact.
    const verified = await cli(['config', 'verify', '--json'], KEY_A);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, failures: [] });
  });

  it('a store written before check values were recorded authenticates one of its payloads instead', async () => {
    await db.query('DELETE FROM config_backup_keys');
    const before = await written();
    await workerWithKey(KEY_B);
    const refused = await cli(['config', 'backup', '--wait'], KEY_B);
    expect(refused.code).toBe(ExitCode.backupFailed);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^error: config-backup/\\S+ failed: ${MISMATCH.replace(/[`]/g, '.')}$`));
    expect(await written()).toEqual(before);

    await workerWithKey(KEY_A);
    const again = await cli(['config', 'backup', '--wait', '--json'], KEY_A);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as ConfigBackupResult).totals).toMatchObject({ unchanged: 2, failed: 0 });
    expect((await db.query('SELECT key_id, check_value FROM config_backup_keys')).rows).toEqual([
      { key_id: 'dev', check_value: Keyring.fromSpec(KEY_A).keyCheckValue() },
    ]);
  });
});
