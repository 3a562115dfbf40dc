import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { insertBackupRun, recentHistory } from '../../db/repositories/backup-runs.js';
import { preBackupWorkflowId, type PreBackupInput, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { openDatabase } from '../../platform/database.js';
import { freePort } from '../../platform/dev-server.js';
import { readEnv } from '../../platform/env.js';
import { BackupTarget } from '../../workflows/search-attributes.js';
import { createHarness, type Harness } from '../helpers/harness.js';

// Issue #11 item 2: a `postgres` target at the embedded database ran pg_dump 15 against PGlite 18, which aborted
// on the version only after its set-up had emptied the one session's search_path: the service was broken until
// restart. A worker served by an embedded PGlite, as under `npm start`, backs up through the real workflow here.
const PG_DUMP = /pg_dump \(PostgreSQL\) (\S+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }))![1]!;

let h: Harness;
let dir: string;
let service: EmbeddedPostgres; // the worker's own database
let other: EmbeddedPostgres; // a PGlite that is not the service's: a server newer than this machine's pg_dump
let servicePool: pg.Pool;
let otherPool: pg.Pool;

beforeAll(async () => {
  h = await createHarness('embedded-backup');
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-embedded-backup-'));
  service = await startEmbeddedPostgres(path.join(dir, 'service'), await freePort());
  other = await startEmbeddedPostgres(path.join(dir, 'other'), await freePort());
  await migrate(service.url);
  servicePool = createPool(service.url, 4);
  otherPool = createPool(other.url, 2);
  const servicePort = new URL(service.url).port;
  await h.writeConfig({
    targets: [
      { name: 'newer-server', kind: 'postgres', url: other.url, policy: 'delay' },
      // What a user pastes from the start banner (password redacted), and the same place under another name.
      { name: 'own-embedded', kind: 'postgres', url: `postgres://postgres@127.0.0.1:${servicePort}/postgres`, policy: 'delay' },
      { name: 'own-embedded-localhost', kind: 'postgres', url: `postgres://app:x@localhost:${servicePort}/orders`, policy: 'delay' },
    ],
  });
  await h.startWorker({ db: servicePool, embeddedDatabaseUrl: service.url });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await servicePool?.end();
  await otherPool?.end();
  await service?.stop();
  await other?.stop();
  await rm(dir, { recursive: true, force: true });
});

const run = async (target: string): Promise<{ result: PreBackupResult; workflowId: string }> => {
  const input: PreBackupInput = { target };
  const handle = await h.client.workflow.start('preBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(target, `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`),
    args: [input],
    typedSearchAttributes: [{ key: BackupTarget, value: target }],
  });
  return { result: await handle.result(), workflowId: handle.workflowId };
};

/** The service's own queries: a backup_runs insert, its history read, an unqualified select. */
const serviceStillWorks = async (backupId: string) => {
  await insertBackupRun(servicePool, {
    backupId,
    target: 'probe',
    startedAt: new Date(),
    endedAt: null,
    status: 'completed',
    durationSeconds: 1,
    sizeBytes: 1,
    source: 'import',
  });
  expect((await recentHistory(servicePool, 'probe', new Date(Date.now() + 60_000))).map((r) => r.backupId)).toContain(backupId);
  expect((await servicePool.query('SHOW search_path')).rows[0].search_path).toBe('public');
};

describe('backing up a PostgreSQL newer than pg_dump, with the service on the embedded database', () => {
  it('is refused up front with both versions named, and pg_dump never touches the server', async () => {
    const { result, workflowId } = await run('newer-server');
    expect(result.backup?.status).toBe('failed');
    expect(result.backup?.error).toMatch(
      new RegExp(`^pg_dump ${PG_DUMP.replace('.', '\\.')} cannot dump PostgreSQL server 1[6-9]\\.\\d+: install pg_dump 1[6-9] or newer`),
    );
    // pg_dump's own check runs after its set-up: that set-up never happened on the target.
    expect((await otherPool.query('SHOW search_path')).rows[0].search_path).toBe('public');
    const row = await servicePool.query('SELECT status, error_message FROM backup_runs WHERE workflow_id = $1', [workflowId]);
    expect(row.rows).toEqual([{ status: 'failed', error_message: result.backup!.error }]);
    await serviceStillWorks('after-newer-server');
  }, 120_000);
});

describe("a target at the service's own embedded database", () => {
  it('is refused (one session shared by every connection), whatever the host spelling, and the service keeps working', async () => {
    for (const target of ['own-embedded', 'own-embedded-localhost']) {
      const { result, workflowId } = await run(target);
      expect(result.backup?.status).toBe('failed');
      expect(result.backup?.error).toMatch(
        /points at the service's own embedded database \(127\.0\.0\.1:\d+\), which cannot be backed up with pg_dump: it has one session shared by every connection/,
      );
      expect(result.backup?.error).not.toContain(new URL(service.url).password);
      const row = await servicePool.query('SELECT status FROM backup_runs WHERE workflow_id = $1', [workflowId]);
      expect(row.rows).toEqual([{ status: 'failed' }]);
      await serviceStillWorks(`after-${target}`);
    }
  }, 120_000);
});

describe('the worker knows when its database is an embedded PGlite', () => {
  it('tells it from the server, also when handed the URL as DATABASE_URL (as `npm start` does), and not for PostgreSQL', async () => {
    const embedded = await openDatabase(readEnv({ DATABASE_URL: service.url, SENTINEL_DATA_DIR: dir }));
    const real = await openDatabase(readEnv({ DATABASE_URL: h.databaseUrl, SENTINEL_DATA_DIR: dir }));
    try {
      expect(embedded.embeddedUrl).toBe(service.url);
      expect(real.embeddedUrl).toBeUndefined();
    } finally {
      await embedded.close();
      await real.close();
    }
  }, 60_000);
});
