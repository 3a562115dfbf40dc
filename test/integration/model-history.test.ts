import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyForFeatures, teamFailureRateForFeatures, loadHistoryColumns } from '../../db/repositories/history.js';
import { buildFeatureTable, featuresForUpcomingRun, FEATURE_NAMES } from '../../domain/ml/features.js';
import { matrixRow } from '../../domain/ml/matrix.js';
import { runsOfColumns } from '../../domain/models/history-columns.js';
import { pointInTimeContexts } from '../../domain/models/rules-scores.js';
import { importHistoryFile } from '../../capabilities/history/history-import.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/model-database.js';

let h: Harness;
let db: IsolatedDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('model-history');
  db = await createIsolatedDatabase('history');
  await h.writeConfig({ targets: [{ name: 'db-001', kind: 'command', command: 'true' }] });
  env = {
    TEMPORAL_ADDRESS: h.temporalAddress,
    DATABASE_URL: db.url,
    SENTINEL_CONFIG: h.configPath,
    SENTINEL_TASK_QUEUE: h.taskQueue,
    SENTINEL_DATA_DIR: h.dir,
  };
});

afterAll(async () => {
  await db?.drop();
  await h?.close();
});

const count = async (where = 'true') => Number((await db.pool.query(`SELECT count(*) FROM backup_runs WHERE ${where}`)).rows[0].count);

describe('sentinel history generate / import', () => {
  it('generates a file and imports it idempotently, reporting targets missing from sentinel.yaml', async () => {
    const file = path.join(h.dir, 'generated.csv');
    const generated = await runCli(
      ['history', 'generate', '--targets', '3', '--days', '10', '--seed', '5', '--start', '2026-03-01', '--out', file, '--json'],
      env,
    );
    expect(generated.stderr).not.toContain('error:');
    expect(JSON.parse(generated.stdout)).toMatchObject({ rows: 720, targets: 3, from: expect.stringMatching(/^2026-03-01T/) });

    const first = await runCli(['history', 'import', file, '--json'], env);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({
      format: 'csv',
      rows: 720,
      inserted: 720,
      duplicates: 0,
      rejected: 0,
      targets: ['db-001', 'db-002', 'db-003'],
      unknownTargets: ['db-002', 'db-003'],
    });
    expect(await count(`source = 'import'`)).toBe(720);

    // A second import changes nothing (in-process: the same code the CLI runs).
    const again = await importHistoryFile(db.pool, file);
    expect(again).toMatchObject({ rows: 720, inserted: 0, duplicates: 720, rejected: 0 });
    expect(await count()).toBe(720);
  });

  it('keeps good rows, counts duplicates (stored and repeated) and reports each bad row with its line and reason', async () => {
    const file = path.join(h.dir, 'mixed.csv');
    await writeFile(
      file,
      [
        'backup_id,target,started_at,status,duration_seconds,size_bytes,error_message',
        'm-1,db-001,2026-04-01T02:00:00Z,completed,300,1000,',
        'm-2,db-001,2026-04-01T03:00:00Z,failed,NaN,10,x',
        'm-3,db-001,yesterday,completed,300,1000,',
        'm-4,db-001,2026-04-01T04:00:00Z,failed,120,0,"disk, ""really"" full',
        'and more"',
        'm-1,db-001,2026-04-01T02:00:00Z,completed,300,1000,',
        'm-5,db-001,2026-04-01T05:00:00Z,completed,-5,1000,',
        'm-6,db-001,2026-04-01T06:00:00Z,completed,300,1e30,',
        'm-7,db-001,2026-04-01T07:00:00Z,success,300,1000,',
        'm-8,db-001,2026-04-01T08:00:00Z',
        'm-9,new-target,2026-04-01 09:00:00,completed,300,1000,',
      ].join('\n'),
    );
    const report = await importHistoryFile(db.pool, file, { knownTargets: new Set(['db-001']) });
    expect(report).toMatchObject({ rows: 10, inserted: 3, duplicates: 1, rejected: 6, unknownTargets: ['new-target'] });
    expect(report.errors).toEqual([
      { line: 3, reason: 'duration_seconds is not a finite number ("NaN")' },
      { line: 4, reason: expect.stringContaining('started_at "yesterday" is not an ISO 8601 date-time') },
      { line: 8, reason: 'duration_seconds must be >= 0 (got -5)' },
      { line: 9, reason: expect.stringContaining('size_bytes is implausibly large') },
      { line: 10, reason: 'status must be "completed" or "failed" (got "success")' },
      { line: 11, reason: 'expected 7 fields like the header, found 3' },
    ]);
    const stored = await db.pool.query(
      `SELECT backup_id, status, error_message, hour_of_day, source FROM backup_runs WHERE backup_id LIKE 'm-%' ORDER BY backup_id`,
    );
    expect(stored.rows).toEqual([
      { backup_id: 'm-1', status: 'completed', error_message: null, hour_of_day: 2, source: 'import' },
      { backup_id: 'm-4', status: 'failed', error_message: 'disk, "really" full\nand more', hour_of_day: 4, source: 'import' },
      { backup_id: 'm-9', status: 'completed', error_message: null, hour_of_day: 9, source: 'import' },
    ]);

    // JSON Lines through the real executable: exit 0 with good rows, line numbers of the bad ones on stdout.
    const jsonl = path.join(h.dir, 'mixed.jsonl');
    await writeFile(
      jsonl,
      '{"backup_id":"j-1","target":"db-001","started_at":"2026-04-02T00:00:00+02:00","status":"completed","duration_seconds":10,"size_bytes":5}\nnot json\n\n{"backup_id":"j-2","target":"db-001","started_at":"2026-04-02T01:00:00Z","status":"failed","duration_seconds":"12","size_bytes":null}\n',
    );
    const cli = await runCli(['history', 'import', jsonl], env);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('3 rows read');
    expect(cli.stdout).toContain('1 imported, 0 already present, 2 rejected');
    expect(cli.stdout).toContain('line 2: not valid JSON');
    expect(cli.stdout).toContain('line 4: size_bytes is missing');
    expect((await db.pool.query(`SELECT started_at FROM backup_runs WHERE backup_id = 'j-1'`)).rows[0].started_at.toISOString()).toBe(
      '2026-04-01T22:00:00.000Z',
    );
  });
});

describe('point-in-time features through the real pipeline', () => {
  it('gives a run the same features in training and live prediction, and never lets its own outcome in', async () => {
    const training = async () => {
      const columns = await loadHistoryColumns(db.pool);
      const runs = runsOfColumns(columns);
      return { runs, table: buildFeatureTable(runs), contexts: pointInTimeContexts(runs) };
    };
    const before = await training();
    // A run in the middle of db-002's history (rows come back ordered by start time) and the next run of db-002.
    const ofTarget = before.runs.map((r, i) => ({ r, i })).filter(({ r }) => r.target === 'db-002');
    const { r: run, i: index } = ofTarget[120]!;
    const next = ofTarget[121]!;
    const row = Array.from(matrixRow(before.table.matrix, index));

    const stored = await db.pool.query(
      `SELECT backup_id, status, estimated_duration, estimated_size, database_size_gb, free_space_gb FROM backup_runs WHERE target = 'db-002' AND started_at = $1`,
      [run.startedAt],
    );
    const target = stored.rows[0];
    const live = featuresForUpcomingRun(
      {
        target: 'db-002',
        startAt: run.startedAt,
        estimatedDuration: target.estimated_duration,
        estimatedSize: target.estimated_size,
        databaseSizeGb: target.database_size_gb,
        freeSpaceGb: target.free_space_gb,
      },
      await historyForFeatures(db.pool, 'db-002', run.startedAt),
      // What live prediction (capabilities/prediction/ml-prediction.ts) asks the database for besides the target's runs.
      { teamFailureRate: await teamFailureRateForFeatures(db.pool, run.startedAt) },
    );
    expect(live).toEqual(row);

    // Turn the run's outcome upside down in the database: its own features must not move, the next run's must.
    const flipped = target.status === 'failed' ? 'completed' : 'failed';
    await db.pool.query(`UPDATE backup_runs SET status = $2, duration_seconds = duration_seconds * 0.2, size_bytes = size_bytes / 10 WHERE backup_id = $1`, [
      target.backup_id,
      flipped,
    ]);
    const after = await training();
    expect(Array.from(matrixRow(after.table.matrix, index))).toEqual(row);
    expect(after.contexts[index]).toEqual(before.contexts[index]);
    const changed = FEATURE_NAMES.filter((_, f) => matrixRow(after.table.matrix, next.i)[f] !== matrixRow(before.table.matrix, next.i)[f]);
    expect(changed.length).toBeGreaterThan(0);
    expect(after.contexts[next.i]).not.toEqual(before.contexts[next.i]);
  });
});
