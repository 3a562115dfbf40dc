// The failure-model lifecycle on its own database and task queue: training with no history, a promotion, a
// candidate kept, a rollback that pauses and resumes the training schedule, and a rollback that is refused.
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { generateHistory } from '../../domain/ml/synthetic-history.js';
import {
  rollbackModelWorkflowId,
  trainModelWorkflowId,
  type RollbackModelInput,
  type RollbackModelResult,
  type TrainModelInput,
  type TrainModelResult,
} from '../../domain/models/contract.js';
import { writeHistoryFile } from '../../capabilities/history/history-file.js';
import { importHistoryFile } from '../../capabilities/history/history-import.js';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { modelMonitorWorkflowId, type ModelMonitorResult } from '../../domain/models/monitor-contract.js';
import { completed, failedWith, RECORDED_AT, type Recorder } from './recording.js';
import { MODELS_TASK_QUEUE } from './stack.js';

/** A private stand-in for `sentinel/model-training`, which the rollback pauses and resumes. */
const TRAINING_SCHEDULE = 'history-recorder/model-training';
// The model-lifecycle integration test's first phase: 6 targets x 24 days of hourly runs, known to promote.
const HISTORY = { targets: 6, days: 24, seed: 7, start: new Date('2026-06-01T00:00:00Z') };

export async function recordModels(r: Recorder): Promise<void> {
  const { client, modelsPool } = r.stack;
  const train = (scenario: string, input: TrainModelInput): Promise<WorkflowHandle> =>
    client.workflow.start('trainFailureModelWorkflow', {
      taskQueue: MODELS_TASK_QUEUE,
      workflowId: `${trainModelWorkflowId(RECORDED_AT)}-${scenario}`,
      args: [input],
    });
  const rollback = (scenario: string, input: RollbackModelInput): Promise<WorkflowHandle> =>
    client.workflow.start('rollbackModelWorkflow', {
      taskQueue: MODELS_TASK_QUEUE,
      workflowId: `${rollbackModelWorkflowId(RECORDED_AT)}-${scenario}`,
      args: [{ scheduleId: TRAINING_SCHEDULE, ...input }],
    });
  const outcome = (expected: TrainModelResult['outcome']) =>
    completed<TrainModelResult>((result) => (result.outcome === expected ? undefined : `${result.outcome}: ${result.reason}`));

  await r.capture('trainFailureModelWorkflow', 'no-history-no-model', await train('no-history-no-model', {}), outcome('no-model'));

  const file = path.join(r.stack.dir, 'model-history.csv');
  await writeHistoryFile(file, generateHistory(HISTORY));
  await importHistoryFile(modelsPool, file);
  const promoted = await r.capture('trainFailureModelWorkflow', 'promoted', await train('promoted', { params: { nTrees: 30, seed: 1 } }), outcome('promoted'));
  await r.capture(
    'trainFailureModelWorkflow',
    'kept-candidate',
    await train('kept-candidate', { params: { nTrees: 1, maxDepth: 1, seed: 1 } }),
    outcome('kept-candidate'),
  );

  await recordMonitor(r, promoted.ok ? (promoted.result as TrainModelResult).version : null);

  await client.schedule.create({
    scheduleId: TRAINING_SCHEDULE,
    spec: { cronExpressions: ['0 0 1 1 *'] },
    action: { type: 'startWorkflow', workflowType: 'trainFailureModelWorkflow', taskQueue: MODELS_TASK_QUEUE, args: [{}] },
    state: { note: 'history recorder' },
  });
  try {
    await r.capture(
      'rollbackModelWorkflow',
      'restored-schedule-resumed',
      await rollback('restored-schedule-resumed', { reason: 'recorded rollback' }),
      completed<RollbackModelResult>((result) =>
        result.verification.ok && result.schedule.pausedByUs && !result.schedule.pausedNow
          ? undefined
          : `verification ${JSON.stringify(result.verification)}, schedule ${JSON.stringify(result.schedule)}`,
      ),
    );
    await r.capture(
      'rollbackModelWorkflow',
      'unknown-version-refused',
      await rollback('unknown-version-refused', { toVersion: 9999 }),
      failedWith(/no snapshot of model 9999/),
    );
    const paused = (await client.schedule.getHandle(TRAINING_SCHEDULE).describe()).state.paused;
    if (paused) throw new Error('the refused rollback left the training schedule paused');
  } finally {
    await client.schedule
      .getHandle(TRAINING_SCHEDULE)
      .delete()
      .catch(() => undefined);
  }
}

/**
 * The live quality monitor on the promoted model: no verdict without outcomes, then degraded outcomes with no model
 * before it (the rules predicted), which only alerts. The rollback child path is covered by
 * test/integration/model-monitor.test.ts.
 */
async function recordMonitor(r: Recorder, version: number | null): Promise<void> {
  if (version === null) throw new Error('no promoted model to monitor');
  const { client, modelsPool } = r.stack;
  const monitor = (scenario: string): Promise<WorkflowHandle> =>
    client.workflow.start('modelMonitorWorkflow', {
      taskQueue: MODELS_TASK_QUEUE,
      workflowId: `${modelMonitorWorkflowId(RECORDED_AT)}-${scenario}`,
      args: [{ trainingScheduleId: TRAINING_SCHEDULE }],
    });
  const verdict = (expected: ModelMonitorResult['verdict'], response: ModelMonitorResult['response']) =>
    completed<ModelMonitorResult>((result) =>
      result.verdict === expected && result.response === response ? undefined : `${result.verdict} / ${result.response}: ${result.reason}`,
    );
  await r.capture('modelMonitorWorkflow', 'insufficient-data', await monitor('insufficient-data'), verdict('insufficient-data', 'none'));

  // 200 live outcomes the model got backwards: low for the 30 that fail, high for a quarter of those that complete.
  const since = (await modelsPool.query('SELECT taken_at FROM model_snapshots WHERE replaced_by = $1 ORDER BY id DESC LIMIT 1', [version])).rows[0]
    .taken_at as Date;
  for (let i = 0; i < 200; i++) {
    const failed = i % 6 === 0 && i < 180;
    const at = new Date(since.getTime() + 1 + i);
    await insertBackupRun(modelsPool, {
      backupId: `recorded-live-${i}`,
      target: `db-00${(i % 6) + 1}`,
      startedAt: at,
      endedAt: at,
      status: failed ? 'failed' : 'completed',
      durationSeconds: 0,
      sizeBytes: 1_000_000_000,
      failureProbability: failed ? 0.02 : i % 4 === 1 ? 0.85 : 0.05,
      predictedBy: 'model',
      modelVersion: version,
      predictionThreshold: 0.5,
    });
  }
  await r.capture('modelMonitorWorkflow', 'degraded-alert-only', await monitor('degraded-alert-only'), verdict('degraded', 'alert-only'));
}
