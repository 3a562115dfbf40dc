import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupRun, type BackupRunRow } from '../../db/repositories/backup-runs.js';
import { listIncidents } from '../../db/repositories/anomaly-incidents.js';
import {
  anomalyScanWorkflowId,
  capacityForecastWorkflowId,
  type AnomalyMonitorInput,
  type AnomalyMonitorResult,
  type CapacityForecastInput,
  type CapacityForecastResult,
} from '../../domain/monitoring/index.js';
import { preBackupWorkflowId, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let h: Harness;
let sleepFile: string;

beforeAll(async () => {
  h = await createHarness('metrics');
  sleepFile = path.join(h.dir, 'sleep-seconds');
  await writeFile(sleepFile, '0');
  await h.writeConfig({
    targets: [
      { name: 'm-flaky', kind: 'command', command: `sleep "$(cat '${sleepFile}')"`, policy: 'delay' },
      { name: 'm-filling', kind: 'command', command: 'true', capacityGb: 25 },
      { name: 'm-roomy', kind: 'command', command: 'true', capacityGb: 1000 },
      { name: 'm-fs-a', kind: 'command', command: 'true' },
      { name: 'm-fs-b', kind: 'command', command: 'true' },
    ],
  });
  await h.startWorker();
});

afterAll(async () => h?.close());

let seq = 0;
const seed = (row: Omit<BackupRunRow, 'backupId' | 'endedAt' | 'status'> & Partial<BackupRunRow>) =>
  insertBackupRun(h.pool, { backupId: `${row.target}-seed-${seq++}`, endedAt: null, status: 'completed', source: 'import', ...row });

const alertsOf = async (target: string, kind?: string) =>
  (
    await h.pool.query(`SELECT kind, severity, message, dedupe_key FROM alerts WHERE target = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY id`, [
      target,
      kind ?? null,
    ])
  ).rows;

const scan = (input: AnomalyMonitorInput = {}): Promise<AnomalyMonitorResult> =>
  h.client.workflow.execute('anomalyMonitorWorkflow', { taskQueue: h.taskQueue, workflowId: `${anomalyScanWorkflowId(new Date())}-${seq++}`, args: [input] });

const capacity = (input: CapacityForecastInput): Promise<CapacityForecastResult> =>
  h.client.workflow.execute('capacityForecastWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: `${capacityForecastWorkflowId(new Date())}-${seq++}`,
    args: [input],
  });

describe('anomalyMonitorWorkflow over seeded history', () => {
  const now = Date.now();
  /** Daily at 02:00 UTC for the last 30 days, ±2% / ±1% around 100 s and 1 GB. */
  const normalHistory = async (target: string) => {
    const today = Math.floor(now / DAY) * DAY;
    for (let d = 30; d >= 1; d--)
      await seed({
        target,
        startedAt: new Date(today - d * DAY + 2 * HOUR),
        durationSeconds: 100 * (d % 2 ? 1.02 : 0.98),
        sizeBytes: 1e9 * (d % 3 ? 1.01 : 0.99),
      });
  };

  beforeAll(async () => {
    await normalHistory('m-scan-slow');
    await seed({ target: 'm-scan-slow', startedAt: new Date(now - 3 * HOUR), durationSeconds: 600, sizeBytes: 1e9 });
    await seed({ target: 'm-scan-slow', startedAt: new Date(now - 2 * HOUR), durationSeconds: 650, sizeBytes: 1e9 });
    await normalHistory('m-scan-partial');
    await seed({ target: 'm-scan-partial', startedAt: new Date(now - 2 * HOUR), durationSeconds: 100, sizeBytes: 2e8 });
    // 40 runs every 12 h: 20 steady, then creeping up to +10%; no single run is anomalous, the EWMA is.
    for (let i = 0; i < 40; i++)
      await seed({
        target: 'm-scan-creep',
        startedAt: new Date(now - (39 - i) * 12 * HOUR - HOUR),
        durationSeconds: 100 * (i % 2 ? 0.98 : 1.02) * (i < 20 ? 1 : 1 + 0.005 * (i - 19)),
        sizeBytes: 1e9,
      });
  });

  it('finds the slow runs, the partial backup and the creep; alerts once per incident', async () => {
    const first = await scan();
    expect(first.workflowId).toMatch(/^anomaly-scan\/\d{4}-\d\d-\d\dT/);
    const mine = first.findings.filter((f) => f.target.startsWith('m-scan-'));
    expect(mine.map((f) => [f.target, f.severity, f.reasons])).toEqual(
      expect.arrayContaining([
        ['m-scan-slow', 'critical', ['longer_than_usual']],
        ['m-scan-partial', 'critical', ['smaller_than_usual', 'possible_partial_backup']],
      ]),
    );
    expect(mine.filter((f) => f.target === 'm-scan-slow')).toHaveLength(2);
    expect(mine.some((f) => f.target === 'm-scan-creep')).toBe(false);
    expect(first.drift.filter((d) => d.target.startsWith('m-scan-')).map((d) => [d.target, d.metric, d.direction, d.severity])).toEqual([
      ['m-scan-creep', 'durationSeconds', 'above', 'critical'],
    ]);
    const opened = first.incidents.opened.filter((i) => i.target.startsWith('m-scan-')).map((i) => [i.target, i.metric, i.direction]);
    expect(opened.sort()).toEqual([
      ['m-scan-creep', 'durationSeconds:drift', 'above'],
      ['m-scan-partial', 'sizeBytes', 'below'],
      ['m-scan-slow', 'durationSeconds', 'above'],
    ]);
    expect(first.alertsSent).toEqual(expect.arrayContaining(first.incidents.opened.map((i) => i.incidentId)));
    expect((await alertsOf('m-scan-slow')).map((a) => a.kind)).toEqual(['anomaly']);
    expect((await alertsOf('m-scan-partial'))[0].message).toMatch(/^m-scan-partial: possible partial backup: size far below usual \(200 MB vs median 1\.01 GB/);
    expect((await alertsOf('m-scan-creep')).map((a) => [a.kind, a.severity])).toEqual([['anomaly-drift', 'critical']]);

    // The same hours again: everything is known, nothing new opens, nothing alerts twice.
    const second = await scan();
    const checkers = await h.pool.query(`SELECT DISTINCT checked_by FROM anomaly_checks WHERE target LIKE 'm-scan-%'`);
    expect(checkers.rows).toEqual([{ checked_by: first.workflowId }]);
    expect(second.incidents.opened.filter((i) => i.target.startsWith('m-scan-'))).toEqual([]);
    expect(second.alertsSent.filter((id) => id.startsWith('m-scan-'))).toEqual([]);
    expect(second.findings.filter((f) => f.target === 'm-scan-slow')).toHaveLength(2);
    for (const target of ['m-scan-slow', 'm-scan-partial', 'm-scan-creep']) expect(await alertsOf(target), target).toHaveLength(1);

    // A normal run closes the slow-run incident; the partial-backup one stays open.
    await seed({ target: 'm-scan-slow', startedAt: new Date(Date.now() - 40 * 60_000), durationSeconds: 101, sizeBytes: 1e9 });
    const third = await scan();
    expect(third.incidents.closed.filter((c) => c.target === 'm-scan-slow')).toEqual([
      expect.objectContaining({ metric: 'durationSeconds', direction: 'above', reason: 'recovered' }),
    ]);
    const open = (await listIncidents(h.pool, { openOnly: true }))
      .filter((i) => i.target.startsWith('m-scan-'))
      .map((i) => i.target)
      .sort();
    expect(open).toEqual(['m-scan-creep', 'm-scan-partial']);
    expect(await alertsOf('m-scan-slow')).toHaveLength(1);
  });

  it('rejects a since in the future without retrying', async () => {
    const error = await scan({ since: new Date(Date.now() + DAY).toISOString() }).catch((e) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(error.cause.message).toContain('since must not be in the future');
    expect(error.cause.nonRetryable).toBe(true);
  });
});

describe('preBackupWorkflow anomaly check', () => {
  const run = async (sleepSeconds: number): Promise<PreBackupResult> => {
    await writeFile(sleepFile, String(sleepSeconds));
    return h.client.workflow.execute('preBackupWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: preBackupWorkflowId('m-flaky', `${new Date().toISOString()}-${seq++}`),
      args: [{ target: 'm-flaky' }],
    });
  };

  it('says "not enough history" with the minimum instead of guessing', async () => {
    const result = await run(0);
    expect(result.backup?.status).toBe('completed');
    expect(result.anomalies).toEqual([]);
    expect(result.anomalyCheck).toMatchObject({
      status: 'insufficient_history',
      minHistoryRuns: 10,
      historyRuns: 0,
      isAnomaly: false,
      alertsSent: [],
      message: 'not enough history: 0 successful runs in the last 90 days, need 10',
    });
  });

  it('alerts on a slow run, not on the next slow one, closes on recovery and alerts on the next incident', async () => {
    const now = Date.now();
    for (let i = 0; i < 12; i++)
      await seed({ target: 'm-flaky', startedAt: new Date(now - (30 - i) * HOUR), durationSeconds: 0.04 + 0.01 * (i % 3), sizeBytes: null });

    const slow = await run(2);
    expect(slow.anomalyCheck).toMatchObject({ status: 'scored', severity: 'critical', historyRuns: 13 });
    const incident = slow.anomalyCheck!.incidents.opened[0]!;
    expect(incident).toMatchObject({ target: 'm-flaky', metric: 'durationSeconds', direction: 'above' });
    expect(slow.anomalyCheck!.alertsSent).toEqual([incident.incidentId]);

    const slowAgain = await run(2);
    expect(slowAgain.anomalyCheck).toMatchObject({ severity: 'critical', incidents: { opened: [], continued: [incident.incidentId] }, alertsSent: [] });

    const quick = await run(0);
    expect(quick.anomalyCheck).toMatchObject({ severity: 'info', isAnomaly: false, alertsSent: [] });
    expect(quick.anomalyCheck!.incidents.closed).toEqual([{ ...incident, reason: 'recovered' }]);

    const slowLater = await run(2);
    expect(slowLater.anomalyCheck!.incidents.opened).toHaveLength(1);
    expect(slowLater.anomalyCheck!.alertsSent).toEqual([slowLater.anomalyCheck!.incidents.opened[0]!.incidentId]);
    const alerts = await alertsOf('m-flaky', 'anomaly');
    expect(alerts.map((a) => a.dedupe_key)).toEqual([
      `anomaly-incident:${incident.incidentId}`,
      `anomaly-incident:${slowLater.anomalyCheck!.incidents.opened[0]!.incidentId}`,
    ]);
  });
});

describe('capacityForecastWorkflow', () => {
  beforeAll(async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    // 1 GB a day for 20 days (a little noise): 20 GB stored, full at 25 GB in about 5 days.
    for (let d = 20; d >= 1; d--) {
      for (const target of ['m-filling', 'm-roomy'])
        await seed({ target, startedAt: new Date(today - d * DAY + HOUR), durationSeconds: 60, sizeBytes: 1e9 * (d % 2 ? 1.02 : 0.98) });
      // Backups this worker stored in BACKUP_DIR (an artifact there): only those use the local filesystem.
      if (d <= 10) {
        for (const target of ['m-fs-a', 'm-fs-b']) {
          const artifactPath = path.join(h.backupDir, target, `seed-${d}.tar`);
          await mkdir(path.dirname(artifactPath), { recursive: true });
          await writeFile(artifactPath, 'x');
          await seed({ target, startedAt: new Date(today - d * DAY + HOUR), durationSeconds: 5, sizeBytes: 1e6, source: 'sentinel', artifactPath });
        }
      }
    }
  });

  it('alerts when the conservative days-until-full is below the horizon, and not above it', async () => {
    const result = await capacity({ targets: ['m-filling', 'm-roomy', 'm-fs-a', 'm-fs-b'] });
    expect(result).toMatchObject({ horizonDays: 14, horizonSource: 'default' });
    const entry = (name: string) => result.entries.find((e) => e.name === name)!;
    expect(entry('m-filling')).toMatchObject({
      status: 'forecast',
      series: 'retained-backups',
      capacityGb: 25,
      capacitySource: 'config',
      alert: true,
      severity: 'critical',
      forecast: { trend: 'increasing' },
    });
    expect(entry('m-filling').lastValueGb).toBeCloseTo(20, 0);
    expect(entry('m-filling').daysUntilFull!.point!).toBeGreaterThan(4);
    expect(entry('m-filling').daysUntilFull!.point!).toBeLessThan(6);
    expect(entry('m-filling').daysUntilFull!.conservative!).toBeLessThanOrEqual(entry('m-filling').daysUntilFull!.point!);
    expect(entry('m-roomy')).toMatchObject({ capacitySource: 'config', alert: false });
    expect(entry('m-roomy').daysUntilFull!.point!).toBeGreaterThan(14);
    // Without capacityGb: the BACKUP_DIR filesystem (stored + free), and one entry for everything sharing it.
    expect(entry('m-fs-a')).toMatchObject({ capacitySource: 'filesystem', alert: false });
    expect(entry('m-fs-a').capacityGb!).toBeCloseTo(0.01 + result.filesystem!.freeGb, 0);
    const shared = result.entries.find((e) => e.kind === 'filesystem')!;
    expect(shared).toMatchObject({ name: `filesystem:${result.filesystem!.path}`, series: 'filesystem-total' });
    expect(shared.lastValueGb).toBeCloseTo(0.02, 6);
    expect(result.alertsSent).toEqual(['m-filling']);
    expect((await alertsOf('m-filling', 'capacity')).map((a) => a.severity)).toEqual(['critical']);
    expect(await alertsOf('m-roomy', 'capacity')).toEqual([]);

    const shortHorizon = await capacity({ targets: ['m-filling'], horizonDays: 3 });
    expect(shortHorizon).toMatchObject({ horizonDays: 3, horizonSource: 'input', alertsSent: [] });
    expect(shortHorizon.entries[0]).toMatchObject({ name: 'm-filling', alert: false });
    expect(shortHorizon.entries[0]!.daysUntilFull!.conservative!).toBeGreaterThan(3);
  });

  it('fails fast on bad input and unknown targets', async () => {
    const bad = await capacity({ horizonDays: 0 }).catch((e) => e);
    expect(bad).toBeInstanceOf(WorkflowFailedError);
    expect(bad.cause.message).toContain('horizonDays must be a number of days in (0, 3650] (got 0)');
    const unknown = await capacity({ targets: ['m-nope'] }).catch((e) => e);
    let cause: Error = unknown;
    while (cause.cause instanceof Error) cause = cause.cause;
    expect(cause.message).toContain('unknown target "m-nope"');
  });
});
