import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let h: Harness;
let env: Record<string, string>;
const now = Date.now();

beforeAll(async () => {
  h = await createHarness('metrics-cli');
  await h.writeConfig({ targets: [{ name: 'cli-sized', kind: 'command', command: 'true', capacityGb: 50 }] });
  const today = Math.floor(now / DAY) * DAY;
  // 20 daily runs at 03:00: about 300 s and 1 GB each, so 20 GB retained; then a run at a fifth of the size.
  for (let d = 20; d >= 1; d--)
    await insertBackupRun(h.pool, {
      backupId: `cli-sized-${d}`,
      target: 'cli-sized',
      startedAt: new Date(today - d * DAY + 3 * HOUR),
      endedAt: null,
      status: 'completed',
      durationSeconds: 300 * (d % 2 ? 1.02 : 0.98),
      sizeBytes: 1e9 * (d % 3 ? 1.01 : 0.99),
      source: 'import',
    });
  await insertBackupRun(h.pool, {
    backupId: 'cli-sized-partial',
    target: 'cli-sized',
    startedAt: new Date(now - 20 * 60_000),
    endedAt: null,
    status: 'completed',
    durationSeconds: 290,
    sizeBytes: 2e8,
    source: 'import',
  });
  await h.startWorker();
  env = {
    TEMPORAL_ADDRESS: h.temporalAddress,
    DATABASE_URL: h.databaseUrl,
    SENTINEL_CONFIG: h.configPath,
    SENTINEL_TASK_QUEUE: h.taskQueue,
    SENTINEL_DATA_DIR: h.dir,
    BACKUP_DIR: h.backupDir,
  };
});

afterAll(async () => h?.close());

const json = (run: { code: number; stdout: string; stderr: string }) => {
  expect(run.stderr).not.toContain('error:');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
};

describe('sentinel forecast and anomalies against PostgreSQL and the dev server', () => {
  it('forecast --sizes (the original example) with --plot writes the SVG', async () => {
    const svg = path.join(h.dir, 'series.svg');
    const result = json(await runCli(['forecast', '--sizes', '10.5,11.2,12.1,12.8,13.5,14.3,15.2', '--days', '30', '--json', '--plot', svg], env));
    // OLS by hand: slope = 21.7 / 28 = 0.775 GB/day; at x = 6 + 30: 12.8 + 0.775 x 33 = 38.375 GB.
    expect(result).toMatchObject({ trend: 'increasing', method: 'ols', n: 7, confidence: 0.95, plot: svg });
    expect(result.slopePerDay).toBeCloseTo(0.775, 9);
    expect(result.predictedSizeGb).toBeCloseTo(38.375, 9);
    expect(result.lower).toBeLessThan(38.375);
    expect(result.upper).toBeGreaterThan(38.375);
    const drawn = readFileSync(svg, 'utf8');
    expect(drawn.startsWith('<svg')).toBe(true);
    for (const mark of ['intervalBand_marks', 'forecastLine_marks', 'fitLine_marks', 'historyPoints_marks']) expect(drawn).toContain(mark);
  });

  it("forecast --target uses the target's retained backups and its capacityGb", async () => {
    const result = json(await runCli(['forecast', '--target', 'cli-sized', '--days', '30', '--json'], env));
    expect(result).toMatchObject({
      target: 'cli-sized',
      series: 'retained-backups',
      capacityGb: 50,
      capacitySource: 'config',
      status: 'forecast',
      forecast: { trend: 'increasing', daysAhead: 30 },
    });
    // 14 runs of 1.01 GB + 6 of 0.99 GB + the 0.2 GB partial run.
    expect(result.lastValueGb).toBeCloseTo(20.28, 6);
    // About 1 GB a day from 20.28 GB to 50 GB: roughly 30 days; the conservative estimate is never later.
    expect(result.daysUntilFull.point).toBeGreaterThan(20);
    expect(result.daysUntilFull.point).toBeLessThan(40);
    expect(result.daysUntilFull.conservative).toBeLessThanOrEqual(result.daysUntilFull.point);
  });

  it('anomalies check scores given figures against the history and draws them', async () => {
    const svg = path.join(h.dir, 'check.svg');
    const result = json(await runCli(['anomalies', 'check', '--target', 'cli-sized', '--duration', '900', '--json', '--plot', svg], env));
    expect(result).toMatchObject({
      target: 'cli-sized',
      status: 'scored',
      severity: 'critical',
      minHistoryRuns: 10,
      unscoredMetrics: ['sizeBytes'],
      run: { source: 'given', durationSeconds: 900, sizeBytes: null },
    });
    expect(result.findings).toEqual([expect.objectContaining({ metric: 'durationSeconds', direction: 'above', severity: 'critical', isAnomaly: true })]);
    expect(existsSync(svg)).toBe(true);
    expect(readFileSync(svg, 'utf8')).toContain('flaggedPoints_marks');
  });

  it('anomalies scan runs anomalyMonitorWorkflow, reports the partial backup (one alert) and draws the worst finding', async () => {
    const since = new Date(now - 30 * 60_000).toISOString();
    const svg = path.join(h.dir, 'scan.svg');
    const result = json(await runCli(['anomalies', 'scan', '--since', since, '--json', '--plot', svg], env));
    expect(result.plot).toBe(svg);
    expect(readFileSync(svg, 'utf8')).toContain('flaggedPoints_marks');
    expect(result.workflowId).toMatch(/^anomaly-scan\/\d{4}-\d\d-\d\dT/);
    expect(result.since).toBe(since);
    expect(result.findings).toContainEqual(expect.objectContaining({ backupId: 'cli-sized-partial', severity: 'critical', possiblePartialBackup: true }));
    const alerts = await h.pool.query(`SELECT kind FROM alerts WHERE target = 'cli-sized'`);
    expect(alerts.rows).toEqual([{ kind: 'anomaly' }]);
  });

  it('reports an unknown target as a one-line error', async () => {
    const run = await runCli(['forecast', '--target', 'nope', '--days', '3'], env);
    expect(run.code).toBe(2); // invalid input (cli/exit-codes.ts); it was 1 before issue #11 item 4
    expect(run.stderr.trim()).toMatch(/^error: unknown target "nope"; configured targets: cli-sized$/);
  });
});
