// The pre-backup gate's paths, each recorded once: every branch of the decision loop, both ways of answering
// (signal, update), the three kinds of backup (pg_dump, command, child workflow), a failed backup, the anomaly
// alert after a run, and invalid input. Timers are seconds long: durations come from the input or sentinel.yaml.
import type { WorkflowHandle } from '@temporalio/client';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { preBackupWorkflowId, type PreBackupInput, type PreBackupResult, type PreBackupState } from '../../domain/pre-backup/contract.js';
import { BackupTarget } from '../../workflows/search-attributes.js';
import { completed, eventually, failedWith, RECORDED_AT, type Recorder } from './recording.js';
import { THEIR_TASK_QUEUE, TASK_QUEUE, type RecordingStack } from './stack.js';

const TYPE = 'preBackupWorkflow';
/** A prior that makes the rules predict a critical failure risk without touching the stored history. */
const RISKY = { successRate: 0.2, recentFailures: 4 };
const HOUR = 3_600_000;

export function preBackupTargets(stack: RecordingStack): unknown[] {
  return [
    { name: 'orders-db', kind: 'postgres', url: stack.databaseUrl, policy: 'manual', threshold: 0.5 },
    { name: 'manual-cmd', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
    { name: 'audited-cmd', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5, approvers: ['alice'] },
    { name: 'delay-cmd', kind: 'command', command: 'true', policy: 'delay', threshold: 0.5, delayMinutes: 0.1, maxDelays: 3 },
    { name: 'escalate-cmd', kind: 'command', command: 'true', policy: 'delay', threshold: 0.5, delayMinutes: 0.01, maxDelays: 2 },
    { name: 'broken-cmd', kind: 'command', command: 'echo "disk gone" >&2; exit 3', policy: 'delay' },
    { name: 'slow-cmd', kind: 'command', command: 'sleep 2', policy: 'delay' },
    { name: 'warehouse', kind: 'workflow', workflow: { type: 'customBackup', taskQueue: THEIR_TASK_QUEUE } },
  ];
}

export async function recordPreBackup(r: Recorder): Promise<void> {
  const { client, pool } = r.stack;
  const start = (scenario: string, input: PreBackupInput): Promise<WorkflowHandle> =>
    client.workflow.start('preBackupWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: preBackupWorkflowId(input.target, `${RECORDED_AT}-${scenario}`),
      args: [input],
      typedSearchAttributes: [{ key: BackupTarget, value: input.target }],
    });
  const state = (handle: WorkflowHandle) => handle.query<PreBackupState>('state');
  const inPhase = (handle: WorkflowHandle, phase: PreBackupState['phase']) =>
    eventually(`${handle.workflowId} to reach ${phase}`, async () => (await state(handle)).phase === phase);
  const capture = (scenario: string, handle: WorkflowHandle, check: (result: PreBackupResult) => string | undefined) =>
    r.capture<PreBackupResult>(TYPE, scenario, handle, completed(check));
  const decided = (decision: PreBackupResult['decision'], backup: 'completed' | 'failed' | null) => (result: PreBackupResult) =>
    result.decision === decision && (result.backup?.status ?? null) === backup
      ? undefined
      : `decision ${result.decision}, backup ${result.backup?.status ?? 'none'}`;

  await capture('low-risk-postgres-proceed', await start('low-risk-postgres-proceed', { target: 'orders-db' }), decided('proceed', 'completed'));

  // High risk from stored history; the history improves during the delay, so the second prediction proceeds.
  const now = Date.now();
  for (let i = 0; i < 8; i++)
    await insertBackupRun(pool, {
      backupId: `delay-fail-${i}`,
      target: 'delay-cmd',
      startedAt: new Date(now - (10 - i) * HOUR),
      endedAt: null,
      status: 'failed',
      durationSeconds: 60,
      sizeBytes: 0,
      source: 'import',
    });
  const delayed = await start('high-risk-delay-repredict-proceed', { target: 'delay-cmd' });
  await eventually('the first delay', async () => {
    const s = await state(delayed);
    return s.phase === 'delaying' && s.predictions === 1;
  });
  for (let i = 0; i < 20; i++)
    await insertBackupRun(pool, {
      backupId: `delay-ok-${i}`,
      target: 'delay-cmd',
      startedAt: new Date(now - (60 - i) * 60_000),
      endedAt: null,
      status: 'completed',
      durationSeconds: 30,
      sizeBytes: 1000,
      source: 'import',
    });
  await capture(
    'high-risk-delay-repredict-proceed',
    delayed,
    (result) => decided('proceed', 'completed')(result) ?? (result.delays === 1 ? undefined : `${result.delays} delays`),
  );

  const escalated = await start('high-risk-delays-escalate-approve-signal', { target: 'escalate-cmd', context: RISKY });
  await inPhase(escalated, 'awaiting-approval');
  await escalated.signal('approve', { by: 'oncall', reason: 'recorded scenario' });
  await capture(
    'high-risk-delays-escalate-approve-signal',
    escalated,
    (result) => decided('approved', 'completed')(result) ?? (result.delays === 2 ? undefined : `${result.delays} delays`),
  );

  const bySignal = await start('high-risk-manual-approve-signal', { target: 'manual-cmd', context: RISKY });
  await inPhase(bySignal, 'awaiting-approval');
  await bySignal.signal('approve', { by: 'alice', reason: 'checked disk space' });
  await capture('high-risk-manual-approve-signal', bySignal, decided('approved', 'completed'));

  const byUpdate = await start('high-risk-manual-approve-update', { target: 'manual-cmd', context: RISKY });
  await inPhase(byUpdate, 'awaiting-approval');
  await byUpdate.executeUpdate('decide', { args: [{ decision: 'approve', by: 'alice', reason: 'checked disk space' }] });
  await capture('high-risk-manual-approve-update', byUpdate, decided('approved', 'completed'));

  // Patch 'approval-audit': a non-approver's signal is refused and recorded, an approver's update accepted; both
  // reach the `approvals` table through recordApprovals.
  const audited = await start('high-risk-approvers-refused-signal-approve-update', { target: 'audited-cmd', context: RISKY });
  await inPhase(audited, 'awaiting-approval');
  await audited.signal('approve', { by: 'mallory', reason: 'not on the list' });
  await audited.executeUpdate('decide', { args: [{ decision: 'approve', by: 'alice', reason: 'on the list', via: 'cli' }] });
  await capture('high-risk-approvers-refused-signal-approve-update', audited, decided('approved', 'completed'));

  const rejected = await start('high-risk-manual-reject-signal', { target: 'manual-cmd', context: RISKY });
  await inPhase(rejected, 'awaiting-approval');
  await rejected.signal('reject', { by: 'bob', reason: 'maintenance tonight' });
  await capture('high-risk-manual-reject-signal', rejected, decided('rejected', null));

  const rejectedByUpdate = await start('high-risk-manual-reject-update', { target: 'manual-cmd', context: RISKY });
  await inPhase(rejectedByUpdate, 'awaiting-approval');
  await rejectedByUpdate.executeUpdate('decide', { args: [{ decision: 'reject', by: 'bob' }] });
  await capture('high-risk-manual-reject-update', rejectedByUpdate, decided('rejected', null));

  await capture(
    'high-risk-approval-timeout-skipped',
    await start('high-risk-approval-timeout-skipped', { target: 'manual-cmd', context: RISKY, approvalTimeoutMs: 1500 }),
    decided('skipped', null),
  );

  await capture('low-risk-command-fails', await start('low-risk-command-fails', { target: 'broken-cmd' }), decided('proceed', 'failed'));

  await capture(
    'low-risk-child-workflow',
    await start('low-risk-child-workflow', { target: 'warehouse' }),
    (result) => decided('proceed', 'completed')(result) ?? (result.backup?.sizeBytes === 4096 ? undefined : `child reported ${result.backup?.sizeBytes} bytes`),
  );

  // Twelve runs of a few hundredths of a second, then one of two seconds: a critical duration anomaly, one alert.
  for (let i = 0; i < 12; i++)
    await insertBackupRun(pool, {
      backupId: `slow-seed-${i}`,
      target: 'slow-cmd',
      startedAt: new Date(now - (30 - i) * HOUR),
      endedAt: null,
      status: 'completed',
      durationSeconds: 0.04 + 0.01 * (i % 3),
      sizeBytes: null,
      source: 'import',
    });
  await capture(
    'low-risk-anomaly-incident-alert',
    await start('low-risk-anomaly-incident-alert', { target: 'slow-cmd' }),
    (result) =>
      decided('proceed', 'completed')(result) ??
      (result.anomalyCheck?.alertsSent.length === 1
        ? undefined
        : `anomaly check ${JSON.stringify(result.anomalyCheck?.status)} sent ${result.anomalyCheck?.alertsSent.length ?? 0} alerts`),
  );

  await r.capture(TYPE, 'invalid-input', await start('invalid-input', { target: 'manual-cmd', threshold: 5 }), failedWith(/threshold must be in \(0, 1\]/));

  // Recorded since patch 'gate-one-read' (the gate's settings and first prediction in one local activity,
  // resolveGateAndPredict): the fixtures above were recorded before it, hold the two-activity path and must keep
  // replaying; these two hold the new branch, once proceeding at once and once re-predicting after delays
  // (predictBackupFailure on its own).
  await capture(
    'one-read-low-risk-postgres-proceed',
    await start('one-read-low-risk-postgres-proceed', { target: 'orders-db' }),
    decided('proceed', 'completed'),
  );
  const escalatedOneRead = await start('one-read-high-risk-delays-escalate-approve-signal', { target: 'escalate-cmd', context: RISKY });
  await inPhase(escalatedOneRead, 'awaiting-approval');
  await escalatedOneRead.signal('approve', { by: 'oncall', reason: 'recorded scenario' });
  await capture(
    'one-read-high-risk-delays-escalate-approve-signal',
    escalatedOneRead,
    (result) => decided('approved', 'completed')(result) ?? (result.delays === 2 ? undefined : `${result.delays} delays`),
  );
}
