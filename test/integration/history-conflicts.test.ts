/**
 * Issue #11 item 7: generated histories of different seeds used the same backup IDs, so the second import
 * skipped its rows as "already present". IDs now carry the seed, and a skipped row whose content differs from the
 * stored row is a conflict (counted, listed, exit code 1), never "already present".
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importHistoryFile } from '../../capabilities/history/history-import.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/test-database.js';

let h: Harness;
let db: IsolatedDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('history-conflicts');
  db = await createIsolatedDatabase('history_conflicts');
  await h.writeConfig({
    targets: [
      { name: 'db-001', kind: 'command', command: 'true' },
      { name: 'db-002', kind: 'command', command: 'true' },
    ],
  });
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

const count = async () => Number((await db.pool.query('SELECT count(*) FROM backup_runs')).rows[0].count);

describe('history generate / import: seeds and conflicts', () => {
  it('imports two generated files of different seeds in full', async () => {
    const one = path.join(h.dir, 'seed1.csv');
    const seven = path.join(h.dir, 'seed7.csv');
    for (const [seed, file] of [
      ['1', one],
      ['7', seven],
    ] as const) {
      const generated = await runCli(['history', 'generate', '--targets', '2', '--days', '5', '--seed', seed, '--start', '2026-06-01', '--out', file], env);
      expect(generated.code).toBe(0);
    }
    const first = await runCli(['history', 'import', one, '--json'], env);
    expect(JSON.parse(first.stdout)).toMatchObject({ rows: 240, inserted: 240, duplicates: 0, conflicts: 0 });
    const second = await runCli(['history', 'import', seven, '--json'], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ rows: 240, inserted: 240, duplicates: 0, conflicts: 0 });
    expect(await count()).toBe(480);
    const ids = await db.pool.query(
      `SELECT count(*) FILTER (WHERE backup_id LIKE 'gen-s1-%')::int AS s1, count(*) FILTER (WHERE backup_id LIKE 'gen-s7-%')::int AS s7 FROM backup_runs`,
    );
    expect(ids.rows[0]).toEqual({ s1: 240, s7: 240 });

    // The same file again: all already present, nothing is a conflict, exit 0.
    const again = await runCli(['history', 'import', one], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 imported, 240 already present, 0 rejected');
  });

  it('reports rows whose backup_id is stored with different content as conflicts, with their IDs, and exits 1', async () => {
    const file = path.join(h.dir, 'seed1.csv');
    const [header, ...rows] = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const columns = header!.split(',');
    const duration = columns.indexOf('duration_seconds');
    const edited = rows.slice(0, 50).map((row, i) => {
      if (i !== 3 && i !== 17) return row;
      const cells = row.split(',');
      cells[duration] = String(Number(cells[duration]) + 1);
      return cells.join(',');
    });
    const modified = path.join(h.dir, 'modified.csv');
    await writeFile(modified, `${[header, ...edited].join('\n')}\n`);
    const changedIds = [edited[3]!, edited[17]!].map((r) => r.split(',')[0]!).sort();

    const cli = await runCli(['history', 'import', modified], env);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`0 imported, 48 already present, 2 conflicts (differing content): ${changedIds.join(', ')}, 0 rejected`);

    const report = await importHistoryFile(db.pool, modified);
    expect(report).toMatchObject({ rows: 50, inserted: 0, duplicates: 48, conflicts: 2, conflictIds: changedIds });
    // The stored rows are unchanged.
    const stored = await db.pool.query('SELECT backup_id, duration_seconds FROM backup_runs WHERE backup_id = ANY($1) ORDER BY 1', [changedIds]);
    const original = new Map(rows.map((r) => [r.split(',')[0]!, Number(r.split(',')[duration])]));
    expect(stored.rows.map((r) => Number(r.duration_seconds))).toEqual(changedIds.map((id) => original.get(id)));
  });

  it('a row repeated in one file with different content is a conflict too', async () => {
    const file = path.join(h.dir, 'repeated.csv');
    await writeFile(
      file,
      [
        'backup_id,target,started_at,status,duration_seconds,size_bytes',
        'r-1,db-001,2026-07-01T02:00:00Z,completed,300,1000',
        'r-1,db-001,2026-07-01T02:00:00Z,completed,300,1000',
        'r-1,db-001,2026-07-01T02:00:00Z,failed,300,1000',
      ].join('\n'),
    );
    const report = await importHistoryFile(db.pool, file);
    expect(report).toMatchObject({ rows: 3, inserted: 1, duplicates: 1, conflicts: 1, conflictIds: ['r-1'] });
  });
});
