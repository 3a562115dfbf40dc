/**
 * Issue #11 item 6, as reported: a 20-target history and a second, overlapping one for two of its targets
 * (backup IDs prefixed, so every row is imported), then `sentinel anomalies scan`. The scan interleaves both
 * histories' runs of db-001 and db-002, opening, closing and reopening one incident key in a single
 * reconciliation; it used to end with `duplicate key value violates unique constraint "anomaly_incidents_one_open"`.
 * Then a target whose reconciliation fails (a trigger in PostgreSQL) is reported while the others are scanned.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('anomaly-overlap');
  await h.writeConfig({ targets: Array.from({ length: 20 }, (_, i) => ({ name: `db-${String(i + 1).padStart(3, '0')}`, kind: 'command', command: 'true' })) });
  await h.startWorker();
  env = {
    TEMPORAL_ADDRESS: h.temporalAddress,
    DATABASE_URL: h.databaseUrl,
    SENTINEL_CONFIG: h.configPath,
    SENTINEL_TASK_QUEUE: h.taskQueue,
    SENTINEL_DATA_DIR: h.dir,
    BACKUP_DIR: h.backupDir,
  };
}, 120_000);

afterAll(async () => h?.close());

const ok = (run: { code: number; stdout: string; stderr: string }) => {
  expect(run.stderr, run.stderr).not.toContain('error');
  expect(run.code).toBe(0);
  return run.stdout;
};

/** Prefixes every backup ID of a CSV history (the issue's "second file with backup IDs prefixed"). */
async function prefixIds(file: string, prefix: string): Promise<void> {
  const [header, ...rows] = (await readFile(file, 'utf8')).trimEnd().split('\n');
  expect(header!.split(',')[0]).toBe('backup_id');
  await writeFile(file, `${[header, ...rows.map((r) => `${prefix}${r}`)].join('\n')}\n`);
}

describe('anomalies scan after importing two overlapping histories', () => {
  it('completes, with one open incident per key, and a second scan changes nothing', async () => {
    const big = path.join(h.dir, 'fleet.csv');
    const small = path.join(h.dir, 'overlap.csv');
    // Both histories end at one UTC midnight (`history generate`'s default, fixed here so that midnight passing between
    // two commands cannot move it), and the scans cover the last generated day whole. The scan's own default, the last
    // 24 h, covers only the part of that day after the current time of day: nothing after about 23:00 UTC.
    const now = new Date();
    const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const day = (offset: number) => new Date(end + offset * 86_400_000).toISOString();
    ok(await runCli(['history', 'generate', '--targets', '20', '--days', '90', '--seed', '1', '--start', day(-90), '--out', big], env));
    ok(await runCli(['history', 'generate', '--targets', '2', '--days', '5', '--seed', '7', '--start', day(-5), '--out', small], env));
    await prefixIds(small, 's7-');
    expect(ok(await runCli(['history', 'import', big], env))).toContain('43200 imported');
    expect(ok(await runCli(['history', 'import', small], env))).toContain('240 imported');

    const scan = await runCli(['anomalies', 'scan', '--since', day(-1), '--json'], env, 300_000);
    expect(scan.stderr).not.toContain('anomaly_incidents_one_open');
    expect(scan.code).toBe(0);
    const result = JSON.parse(scan.stdout);
    expect(result.counts.targets).toBe(20);
    expect(result.failedTargets).toEqual([]);
    // the overlap is what the scan sees: anomalies on the two overlapping targets, incidents opened and closed
    expect(result.incidents.opened.length).toBeGreaterThan(0);
    expect(result.incidents.opened.some((i: { target: string }) => i.target === 'db-001' || i.target === 'db-002')).toBe(true);

    const stored = await h.pool.query(
      `SELECT target, metric, direction, count(*)::int AS n FROM anomaly_incidents WHERE closed_at IS NULL GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    );
    expect(stored.rows).toEqual([]);
    const open = await h.pool.query('SELECT count(*)::int AS n FROM anomaly_incidents WHERE closed_at IS NULL');
    expect(open.rows[0].n).toBe(result.incidents.openAfter);
    // every incident the scan reported as opened is a row
    const ids = result.incidents.opened.map((i: { incidentId: string }) => i.incidentId);
    const rows = await h.pool.query('SELECT count(*)::int AS n FROM anomaly_incidents WHERE incident_id = ANY($1)', [ids]);
    expect(rows.rows[0].n).toBe(ids.length);

    const again = JSON.parse(ok(await runCli(['anomalies', 'scan', '--since', day(-1), '--json'], env, 300_000)));
    expect(again.incidents.opened).toEqual([]);
    expect(again.counts.newlyChecked).toBe(0);
  }, 600_000);

  it('reports a target whose scan fails, with the reason, and still scans the others', async () => {
    const startedAt = new Date(Date.now() - 3_600_000);
    for (const target of ['db-003', 'db-004'])
      await insertBackupRun(h.pool, {
        backupId: `late-${target}`,
        target,
        startedAt,
        endedAt: null,
        status: 'completed',
        durationSeconds: 300,
        sizeBytes: 5e9,
        source: 'import',
      });
    await h.pool.query(`
      CREATE FUNCTION refuse_db_003() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.target = 'db-003' THEN RAISE EXCEPTION 'injected failure for db-003'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_db_003 BEFORE INSERT ON anomaly_checks FOR EACH ROW EXECUTE FUNCTION refuse_db_003();`);
    try {
      const scan = await runCli(['anomalies', 'scan', '--since', new Date(startedAt.getTime() - 60_000).toISOString(), '--json'], env, 300_000);
      expect(scan.code).toBe(1);
      const result = JSON.parse(scan.stdout);
      expect(result.failedTargets).toEqual([{ target: 'db-003', error: expect.stringContaining('injected failure for db-003') }]);
      const checked = await h.pool.query(`SELECT backup_id FROM anomaly_checks WHERE backup_id LIKE 'late-%' ORDER BY 1`);
      expect(checked.rows.map((r) => r.backup_id)).toEqual(['late-db-004']);

      const human = await runCli(['anomalies', 'scan', '--since', new Date(startedAt.getTime() - 60_000).toISOString()], env, 300_000);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/FAILED\s+db-003: .*injected failure for db-003/);
    } finally {
      await h.pool.query('DROP TRIGGER refuse_db_003 ON anomaly_checks; DROP FUNCTION refuse_db_003()');
    }
  }, 600_000);
});
