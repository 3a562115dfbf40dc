import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHistoryFile } from '../../capabilities/history/history-file.js';
import { importHistoryFile } from '../../capabilities/history/history-import.js';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { generateHistory } from '../../domain/ml/synthetic-history.js';
import { trainModelWorkflowId, type TrainModelResult } from '../../domain/models/contract.js';
import type { LiveQualityJudgement } from '../../domain/models/live-quality.js';
import { modelMonitorWorkflowId, type LiveQualityReport, type ModelMonitorResult } from '../../domain/models/monitor-contract.js';
import { preBackupWorkflowId } from '../../domain/pre-backup/contract.js';
import { modelMonitorWorkflow } from '../../workflows/model-monitor.js';
import { trainFailureModelWorkflow } from '../../workflows/models.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alert-receiver.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';

// The lifecycle test's history: 6 targets x 40 days of hourly runs; a first, small model on the first 24 days, a
// second one (which beats it) on all 40.
const START = new Date('2026-06-01T00:00:00Z');
const CUT = new Date(START.getTime() + 24 * 86_400_000);
const history = generateHistory({ targets: 6, days: 40, seed: 7, start: START });
const TARGETS = Array.from({ length: 6 }, (_, k) => `db-00${k + 1}`);

let h: Harness;
let receiver: AlertReceiver;
const trainingSchedule = `test-model-training/${randomUUID().slice(0, 8)}`;
const v = { first: 0, second: 0 };

const rows = async (sql: string, params: unknown[] = []) => (await h.pool.query(sql, params)).rows;
const activeVersion = async () => (await rows(`SELECT version FROM ml_models WHERE status = 'active'`))[0]?.version ?? null;
const auditEvents = async (event: string) =>
  rows('SELECT model_version, previous_version, actor, reason, details FROM model_audit WHERE event = $1 ORDER BY id', [event]);

async function train(params: Record<string, unknown>): Promise<TrainModelResult> {
  return h.client.workflow.execute(trainFailureModelWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: trainModelWorkflowId(`${new Date().toISOString()}-${randomUUID().slice(0, 4)}`),
    args: [{ params }],
  });
}

async function monitor(): Promise<ModelMonitorResult> {
  return h.client.workflow.execute(modelMonitorWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: modelMonitorWorkflowId(`${new Date().toISOString()}-${randomUUID().slice(0, 6)}`),
    args: [{ trainingScheduleId: trainingSchedule }],
  });
}

type MonitorOutput = LiveQualityReport & {
  judgement: LiveQualityJudgement;
  lastCheck: { verdict: string; modelVersion: number | null } | null;
  automaticRollbacks: number;
  lastAutomaticRollback: { fromVersion: number | null; toVersion: number | null } | null;
};

async function cliMonitor(): Promise<MonitorOutput> {
  const run = await runCli(['model', 'monitor', '--json'], h.cliEnv());
  expect(run.stderr).not.toContain('error');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

/**
 * Live outcomes as gates predicted by `version` record them, started after the model became active: `failures` runs
 * that fail and `successes` that complete, with the probabilities given for each kind (some successes predicted high).
 */
async function feed(version: number, spec: { failures: number; failedAt: number; successes: number; completedAt: number; highSuccesses?: boolean }) {
  const since = (await rows('SELECT taken_at FROM model_snapshots WHERE replaced_by = $1 ORDER BY id DESC LIMIT 1', [version]))[0].taken_at as Date;
  const latest = (await rows('SELECT max(started_at) AS at FROM backup_runs WHERE model_version = $1', [version]))[0].at as Date | null;
  let at = Math.max(since.getTime(), latest?.getTime() ?? 0) + 1;
  const total = spec.failures + spec.successes;
  for (let i = 0; i < total; i++) {
    const step = Math.floor(total / spec.failures);
    const failed = i % step === 0 && i / step < spec.failures;
    const probability = failed ? spec.failedAt : spec.highSuccesses && i % 4 === 1 ? 0.85 : spec.completedAt;
    await insertBackupRun(h.pool, {
      backupId: `live-${version}-${randomUUID()}`,
      target: TARGETS[i % TARGETS.length] as string,
      startedAt: new Date(at),
      endedAt: new Date(at),
      status: failed ? 'failed' : 'completed',
      durationSeconds: 0,
      sizeBytes: 1_000_000_000,
      databaseSizeGb: 40,
      freeSpaceGb: 200,
      decision: 'proceed',
      failureProbability: probability,
      riskLevel: 'low',
      predictedBy: 'model',
      modelVersion: version,
      predictionThreshold: 0.5,
    });
    at += 1;
  }
}

beforeAll(async () => {
  h = await createHarness('model-monitor');
  receiver = await startAlertReceiver({ '/hook': 'webhook' });
  await h.writeConfig({ targets: TARGETS.map((name) => ({ name, kind: 'command', command: 'true' })) });
  await h.startWorker({ alertWebhookUrl: receiver.url('/hook') });
  await h.client.schedule.create({
    scheduleId: trainingSchedule,
    spec: { cronExpressions: ['0 0 1 1 *'] },
    action: { type: 'startWorkflow', workflowType: 'trainFailureModelWorkflow', taskQueue: h.taskQueue, args: [{}] },
    state: { note: 'model monitor test' },
  });
});

afterAll(async () => {
  await h?.client.schedule
    .getHandle(trainingSchedule)
    .delete()
    .catch(() => undefined);
  await receiver?.close();
  await h?.close();
});

describe('live model quality and automatic rollback on the dev server and PostgreSQL', () => {
  it('has no verdict for a fresh model without live outcomes', async () => {
    const aFile = path.join(h.dir, 'phase-a.csv');
    await writeHistoryFile(
      aFile,
      history.filter((r) => r.startedAt < CUT),
    );
    await importHistoryFile(h.pool, aFile);
    // Deliberately small (as in the lifecycle test): the active model is refit on the whole of phase A, so a
    // full-size one would be as good as the phase-B candidate on this stationary history.
    const first = await train({ nTrees: 10, maxDepth: 4, seed: 1, selectionBudgetSeconds: 0 });
    expect(first.outcome).toBe('promoted');
    v.first = first.version!;

    const result = await monitor();
    expect(result).toMatchObject({ verdict: 'insufficient-data', modelVersion: v.first, response: 'none', rollback: null, alertSent: false });
    expect(result.reason).toMatch(/^no verdict: 0 live outcomes with 0 failures/);
    expect(await rows('SELECT verdict, model_version FROM model_monitor_checks')).toEqual([{ verdict: 'insufficient-data', model_version: v.first }]);
  });

  it('records which model produced each gate decision', async () => {
    const bFile = path.join(h.dir, 'phase-b.csv');
    await writeHistoryFile(
      bFile,
      history.filter((r) => r.startedAt >= CUT),
    );
    await importHistoryFile(h.pool, bFile);
    const second = await train({ nTrees: 100, seed: 2, selectionBudgetSeconds: 0 });
    expect(second.outcome).toBe('promoted');
    v.second = second.version!;

    const gate = await h.client.workflow.execute(preBackupWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: preBackupWorkflowId('db-001', `${new Date().toISOString()}-${randomUUID().slice(0, 4)}`),
      args: [{ target: 'db-001', threshold: 1 }],
    });
    expect(gate.prediction.model).toMatchObject({ kind: 'ml', version: v.second });
    const [row] = await rows(
      `SELECT predicted_by, model_version, prediction_threshold, failure_probability, status FROM backup_runs WHERE workflow_id LIKE 'pre-backup/db-001/%'`,
    );
    expect(row).toEqual({
      predicted_by: 'model',
      model_version: v.second,
      prediction_threshold: 1,
      failure_probability: gate.prediction.failureProbability,
      status: 'completed',
    });
  });

  it('rolls a degraded model back automatically, once, with the audit, the alert and the reason', async () => {
    // The model says "low" for runs that fail, and "high" for a quarter of the runs that succeed.
    await feed(v.second, { failures: 30, failedAt: 0.02, successes: 170, completedAt: 0.05, highSuccesses: true });

    const before = await cliMonitor();
    expect(before).toMatchObject({
      verdict: 'degraded',
      modelVersion: v.second,
      replacedVersion: v.first,
      response: { action: 'rollback', toVersion: v.first },
      judgement: { outcomes: 201, failures: 30 },
      automaticRollbacks: 0,
      lastAutomaticRollback: null,
    });
    expect(before.judgement.checks.find((c) => c.name === 'brier-vs-validation')).toMatchObject({ degraded: true });
    expect(before.judgement.active.brier!).toBeGreaterThan(before.judgement.validation!.brier! + 0.1);
    expect(before.judgement.replaced!.brier!).toBeLessThan(before.judgement.active.brier!);
    expect(before.shadowProblems).toEqual([]);

    // Two checks at once (an overlap, or a retried schedule): one rollback.
    const results = await Promise.all([monitor(), monitor()]);
    const rolled = results.filter((r) => r.rollback?.status === 'rolled-back');
    expect(rolled).toHaveLength(1);
    expect(rolled[0]).toMatchObject({
      verdict: 'degraded',
      modelVersion: v.second,
      response: 'rollback',
      rollback: { restoredVersion: v.first },
      alertSent: true,
    });
    for (const other of results.filter((r) => r !== rolled[0])) {
      expect(other.rollback === null ? other.verdict : other.rollback.status).toMatch(/^(already-done|insufficient-data)$/);
    }
    expect(await activeVersion()).toBe(v.first);
    expect((await h.client.schedule.getHandle(trainingSchedule).describe()).state.paused).toBe(false);

    const claims = await auditEvents('automatic-rollback');
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ model_version: v.second, previous_version: v.first });
    expect(claims[0].reason).toMatch(
      new RegExp(
        `^automatic rollback of model ${v.second} to ${v.first}: degraded over 201 live outcomes \\(30 failures\\): live Brier 0\\.\\d{4} is worse than its validation Brier 0\\.\\d{4} by 0\\.\\d{4}`,
      ),
    );
    const verified = await auditEvents('rollback-verified');
    expect(verified.at(-1)).toMatchObject({ model_version: v.first, previous_version: v.second, reason: claims[0].reason });
    expect(await auditEvents('model-degraded')).toHaveLength(1);

    const alerts = await rows(`SELECT severity, message FROM alerts WHERE kind = 'model-degraded'`);
    expect(alerts).toEqual([
      {
        severity: 'critical',
        message: expect.stringContaining(`failure model ${v.second} has degraded on live outcomes; rolled back automatically to model ${v.first}`),
      },
    ]);
    const delivered = receiver.accepted('/hook').filter((r) => JSON.stringify(r.json).includes('model-degraded'));
    expect(delivered).toHaveLength(1);
  });

  it('never rolls back again for the same degradation: the restored model starts a fresh window', async () => {
    const again = await monitor();
    expect(again).toMatchObject({ verdict: 'insufficient-data', modelVersion: v.first, rollback: null });
    expect(await auditEvents('automatic-rollback')).toHaveLength(1);

    const shown = await cliMonitor();
    expect(shown).toMatchObject({
      verdict: 'insufficient-data',
      modelVersion: v.first,
      replacedVersion: v.second,
      automaticRollbacks: 1,
      lastAutomaticRollback: { fromVersion: v.second, toVersion: v.first },
      lastCheck: { verdict: 'insufficient-data', modelVersion: v.first },
    });
    const human = await runCli(['model', 'monitor'], h.cliEnv());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^INSUFFICIENT-DATA: no verdict: 0 live outcomes/);
    expect(human.stdout).toContain(`automatic rollbacks: 1; last `);
  });

  it('leaves a healthy model alone', async () => {
    await feed(v.first, { failures: 30, failedAt: 0.9, successes: 170, completedAt: 0.03 });
    const result = await monitor();
    expect(result).toMatchObject({ verdict: 'healthy', modelVersion: v.first, response: 'none', rollback: null, alertSent: false });
    expect(await activeVersion()).toBe(v.first);
    expect(await auditEvents('automatic-rollback')).toHaveLength(1);
    const shown = await cliMonitor();
    expect(shown.judgement).toMatchObject({ outcomes: 200, failures: 30, active: { recall: 1, precision: 1 } });
    expect(shown.judgement.checks.every((c) => !c.degraded)).toBe(true);
  });

  it('only alerts when the model to go back to was itself rolled back as degraded', async () => {
    await feed(v.first, { failures: 30, failedAt: 0.02, successes: 170, completedAt: 0.05, highSuccesses: true });
    const result = await monitor();
    expect(result).toMatchObject({ verdict: 'degraded', modelVersion: v.first, response: 'alert-only', rollback: null, alertSent: true });
    expect(await activeVersion()).toBe(v.first);
    expect(await auditEvents('automatic-rollback')).toHaveLength(1);
    const [alert] = await rows(`SELECT message FROM alerts WHERE kind = 'model-degraded' AND message LIKE $1`, [`failure model ${v.first} %`]);
    expect(alert.message).toMatch(new RegExp(`not rolled back: model ${v.second}, which it replaced, was itself rolled back automatically as degraded`));
  });
});
