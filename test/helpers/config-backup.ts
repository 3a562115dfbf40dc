import { Writable } from 'node:stream';
import { NativeConnection } from '@temporalio/worker';
import type pg from 'pg';
import { pino } from 'pino';
import { inject } from 'vitest';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import type { Harness } from './harness.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';

/**
 * A worker like the harness's, but on a database of the test's choosing and with its logger output (debug level)
 * kept in `lines`, so tests can search the logs.
 */
export async function startCapturingWorker(h: Harness, db: pg.Pool = h.pool): Promise<{ lines: string[]; stop(): Promise<void> }> {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      lines.push(String(chunk));
      done();
    },
  });
  const native = await NativeConnection.connect({ address: h.temporalAddress });
  const worker = await createSentinelWorker({
    connection: native,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    deps: {
      db,
      loadSettings: cachedSettingsLoader(h.configPath),
      backupDir: h.backupDir,
      configBackup: configBackupSourceFromEnv(),
      log: pino({ level: 'debug' }, sink),
    },
    overrides: { shutdownGraceTime: '2s' },
  });
  const running = worker.run();
  return {
    lines,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await native.close().catch(() => undefined);
    },
  };
}

/** JSON.stringify replacer: bytes (payload data, bytea) rendered as text so a plaintext secret inside is found. */
export function bytesAsText(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data))
    return Buffer.from((value as { data: number[] }).data).toString('latin1');
  return value;
}

/** A secret as it appears inside base64 text, at each of the three byte alignments. */
export function base64Forms(secret: string): string[] {
  return [0, 1, 2].map((pad) => {
    // The first group mixes in the padding bytes and the last one may be partial: only the middle is fixed.
    const encoded = Buffer.from(`${'x'.repeat(pad)}${secret}`).toString('base64');
    return encoded.slice(pad === 0 ? 0 : 4, encoded.length - 4);
  });
}

/** The secret in plaintext and in base64 form. */
export const needlesFor = (...secrets: string[]): string[] => secrets.flatMap((secret) => [secret, ...base64Forms(secret)]);

/** Number and total envelope bytes of the payload objects in a store directory (loose or packed). */
export async function storeUsage(storeDir: string): Promise<{ objects: number; bytes: number }> {
  const store = new PayloadStore(storeDir);
  const hashes = await store.list();
  let bytes = 0;
  for (const hash of hashes) bytes += (await store.locate(hash))?.length ?? 0;
  return { objects: hashes.length, bytes };
}

/** Every row of every table in the public schema, as text (bytea as latin1). */
export async function dumpAllTables(db: pg.Pool): Promise<{ tables: string[]; text: string }> {
  const result = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
  const tables = result.rows.map((row) => row.table_name as string);
  let text = '';
  for (const table of tables) text += JSON.stringify((await db.query(`SELECT * FROM "${table}"`)).rows, bytesAsText);
  return { tables, text };
}
