// `npm run bench:drill`: a restore drill of a generated ~1 GB database next to pg_restore run by hand on the same
// dump, in the same run, interleaved (drill, hand, hand, drill, ...) so machine load falls on both alike.
// Knobs: BENCH_DRILL_MB (database size, default 1024), BENCH_DRILL_PAIRS (default 2), BENCH_DRILL_RESULTS_FILE
// (default bench/results/drill.json; `-` to skip). Needs PostgreSQL (SENTINEL_TEST_DATABASE_URL / DATABASE_URL or
// postgres://postgres:postgres@127.0.0.1:5432/postgres) and pg_dump/pg_restore on PATH.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { dumpPostgres } from '../activities/backup/postgres.js';
import { PG_RESTORE_FLAGS, runRestoreDrill } from '../capabilities/drill/run-drill.js';
import { withDatabase } from '../capabilities/drill/scratch.js';
import { createPool } from '../db/pool.js';
import { insertBackupRun } from '../db/repositories/backup-runs.js';
import { createScratchDatabase } from '../db/scratch-database.js';
import { parseSettings } from '../domain/settings/schema.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';

const ADMIN_URL = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const TARGET_MB = intFromEnv('BENCH_DRILL_MB', 1024, 1);
const PAIRS = intFromEnv('BENCH_DRILL_PAIRS', 2, 1);
const RESULTS = process.env.BENCH_DRILL_RESULTS_FILE ?? 'bench/results/drill.json';
const log = (line: string) => process.stderr.write(`bench:drill ${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function admin<T>(run: (c: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const urlFor = (database: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

/** Rows of ~100 bytes (id, two md5s, a timestamp) in 500k-row steps until the database reaches the size asked for. */
async function generate(database: string): Promise<{ bytes: number; rows: number; seconds: number }> {
  const started = Date.now();
  return admin(async (c) => {
    await c.query('CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL, kind int NOT NULL, created timestamptz NOT NULL)');
    await c.query('CREATE TABLE accounts (id int PRIMARY KEY, name text)');
    await c.query(`INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 1000) g`);
    let rows = 0;
    let bytes = 0;
    const step = 500_000;
    while (bytes < TARGET_MB * 1e6) {
      await c.query(
        `INSERT INTO events SELECT g, md5(g::text) || md5((g * 7)::text), g % 17, timestamptz '2026-01-01' + g * interval '1 second'
           FROM generate_series($1::bigint, $2::bigint) g`,
        [rows + 1, rows + step],
      );
      rows += step;
      bytes = Number((await c.query('SELECT pg_database_size(current_database()) AS b')).rows[0].b);
      log(`generated ${rows.toLocaleString()} rows, ${(bytes / 1e6).toFixed(0)} MB`);
    }
    await c.query('ANALYZE');
    return { bytes, rows, seconds: (Date.now() - started) / 1000 };
  }, urlFor(database));
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve((Date.now() - started) / 1000) : reject(new Error(`${command} exited ${code}: ${err}`))));
  });
}

/** pg_restore by hand: the same flags the drill uses, into a fresh database, then dropped. */
async function handRestore(file: string, k: number): Promise<number> {
  const name = `bench_drill_hand_${process.pid}_${k}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  try {
    const connection = withDatabase(ADMIN_URL, name);
    return await timed('pg_restore', [...PG_RESTORE_FLAGS, `--dbname=${connection.url}`, file], {
      ...process.env,
      ...(connection.password ? { PGPASSWORD: connection.password } : {}),
    });
  } finally {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const facts = machineFacts();
  const target = `bench_drill_src_${process.pid}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-bench-drill-'));
  const sentinel = await createScratchDatabase(ADMIN_URL, 'bench_drill_sentinel', 'bench:drill');
  const pool = createPool(sentinel.url, 4);
  try {
    await admin((c) => c.query(`CREATE DATABASE ${target}`));
    log(`generating ~${TARGET_MB} MB in ${target}`);
    const generated = await generate(target);
    const settings = parseSettings({
      targets: [
        {
          name: 'bench',
          kind: 'postgres',
          url: urlFor(target),
          drill: { checks: [{ sql: 'select count(*) from events', expect: `= ${generated.rows}` }], countTables: ['events', 'accounts'] },
        },
      ],
    });
    log('pg_dump (custom format) with row counts in the dump snapshot');
    const dumpStarted = Date.now();
    const dump = await dumpPostgres(urlFor(target), dir, 'bench', 'bench-dump', 6 * 3_600_000, { countTables: ['events', 'accounts'] });
    const dumpSeconds = (Date.now() - dumpStarted) / 1000;
    log(`dump ${(dump.sizeBytes / 1e6).toFixed(0)} MB in ${dumpSeconds.toFixed(1)} s; counts ${JSON.stringify(dump.tableCounts)}`);
    await insertBackupRun(pool, {
      backupId: 'bench#dump',
      target: 'bench',
      startedAt: new Date(),
      endedAt: new Date(),
      status: 'completed',
      durationSeconds: dumpSeconds,
      sizeBytes: dump.sizeBytes,
      artifactPath: dump.path,
      artifactSha256: dump.sha256,
      tableCounts: dump.tableCounts ?? null,
    });
    const deps = { db: pool, loadSettings: async () => settings, drillDatabaseUrl: ADMIN_URL, log: pino({ level: 'warn' }), backupDir: dir };
    const pairs: Array<{ hand: number; drillRestore: number; drillTotal: number; status: string; loadAverage: [number, number, number] }> = [];
    for (let k = 0; k < PAIRS; k++) {
      const runDrill = async () => {
        const started = Date.now();
        const outcome = await runRestoreDrill(deps, { target: 'bench', drillId: `bench#drill-${k}`, workflowId: 'bench' });
        if (outcome.status !== 'passed') throw new Error(`drill failed: ${outcome.error}`);
        return { restore: outcome.restoreSeconds!, total: (Date.now() - started) / 1000, status: outcome.status };
      };
      // ABBA: the drill first in even pairs, pg_restore by hand first in odd ones.
      let hand: number;
      let drill: Awaited<ReturnType<typeof runDrill>>;
      if (k % 2 === 0) {
        drill = await runDrill();
        hand = await handRestore(dump.path, k);
      } else {
        hand = await handRestore(dump.path, k);
        drill = await runDrill();
      }
      pairs.push({ hand, drillRestore: drill.restore, drillTotal: drill.total, status: drill.status, loadAverage: loadAverage() });
      log(
        `pair ${k + 1}/${PAIRS}: pg_restore by hand ${hand.toFixed(1)} s; drill restore ${drill.restore.toFixed(1)} s, whole drill ${drill.total.toFixed(1)} s`,
      );
    }
    const hand = median(pairs.map((p) => p.hand));
    const restore = median(pairs.map((p) => p.drillRestore));
    const total = median(pairs.map((p) => p.drillTotal));
    const result = {
      machine: facts,
      loadAverageAtEnd: loadAverage(),
      method:
        'one dump of a generated database; per pair the drill (checksum, scratch database, pg_restore, checks, row counts, drop) and pg_restore by hand with the same flags into a fresh database, ABBA order; medians over pairs',
      database: { targetMb: TARGET_MB, bytes: generated.bytes, rows: generated.rows, generateSeconds: generated.seconds },
      dump: { bytes: dump.sizeBytes, seconds: dumpSeconds, tableCounts: dump.tableCounts ?? null },
      pgRestoreFlags: PG_RESTORE_FLAGS,
      pairs,
      median: { handSeconds: hand, drillRestoreSeconds: restore, drillTotalSeconds: total },
      overhead: { restore: restore / hand - 1, wholeDrill: total / hand - 1, goal: 0.1 },
    };
    process.stdout.write(
      `database ${(generated.bytes / 1e6).toFixed(0)} MB (${generated.rows.toLocaleString()} rows), dump ${(dump.sizeBytes / 1e6).toFixed(0)} MB\n` +
        `median of ${PAIRS} pair(s): pg_restore by hand ${hand.toFixed(1)} s | drill restore (RTO) ${restore.toFixed(1)} s (${pct(result.overhead.restore)}) | whole drill ${total.toFixed(1)} s (${pct(result.overhead.wholeDrill)})\n` +
        `load average ${facts.loadAverage.join(' ')} -> ${result.loadAverageAtEnd.join(' ')}\n`,
    );
    if (RESULTS !== '-') await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await pool.end().catch(() => undefined);
    await sentinel.drop().catch(() => undefined);
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`)).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

main().catch((error: Error) => {
  process.stderr.write(`bench:drill: ${error.message}\n`);
  process.exitCode = 1;
});
