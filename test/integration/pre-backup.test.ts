import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { preBackupWorkflowId, type PreBackupInput, type PreBackupResult, type PreBackupState } from '../../domain/pre-backup/contract.js';
import { BackupTarget } from '../../workflows/search-attributes.js';
import { createHarness, eventually, type Harness, type RunningWorker } from '../helpers/harness.js';

// A prior that makes the rules predict a critical failure risk, without touching the stored history.
const RISKY = { successRate: 0.2, recentFailures: 4 };

let h: Harness;
let worker: RunningWorker;
let webhookBodies: Array<Record<string, unknown>>;
let webhook: http.Server;

beforeAll(async () => {
  h = await createHarness('pre-backup');
  webhookBodies = [];
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      webhookBodies.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  await h.writeConfig({
    targets: [
      { name: 'orders-db', kind: 'postgres', url: h.databaseUrl, policy: 'manual', threshold: 0.5 },
      { name: 'manual-cmd', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
      { name: 'delay-cmd', kind: 'command', command: 'true', policy: 'delay', threshold: 0.5, delayMinutes: 0.05, maxDelays: 3 },
      { name: 'broken-cmd', kind: 'command', command: 'echo "disk gone" >&2; exit 3', policy: 'delay' },
      { name: 'unreachable-db', kind: 'postgres', url: 'postgres://backup:hunter2-canary@127.0.0.1:1/none', policy: 'delay' },
      { name: 'restart-cmd', kind: 'command', command: 'true', policy: 'delay', delayMinutes: 0.08, maxDelays: 1 },
      { name: 'steady-cmd', kind: 'command', command: 'sleep 2', policy: 'delay' },
    ],
  });
  worker = await h.startWorker({ alertWebhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` });
});

afterAll(async () => {
  await h?.close();
  webhook?.close();
});

const start = (input: PreBackupInput, suffix = String(Date.now())) =>
  h.client.workflow.start('preBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(input.target, `${new Date().toISOString()}-${suffix}`),
    args: [input],
    typedSearchAttributes: [{ key: BackupTarget, value: input.target }],
  });

const stateOf = (id: string) => h.client.workflow.getHandle(id).query<PreBackupState>('state');
const waitForPhase = (id: string, phase: PreBackupState['phase']) => eventually(async () => (await stateOf(id)).phase === phase, 30_000);

describe('preBackupWorkflow on the dev server', () => {
  it('proceeds at low risk and leaves a restorable pg_dump, recorded and findable by search attributes', async () => {
    const handle = await start({ target: 'orders-db' });
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('proceed');
    expect(result.prediction.model.kind).toBe('rules');
    expect(result.prediction.riskLevel).toBe('low');
    expect(result.backup?.status).toBe('completed');
    const dumpPath = result.backup!.path!;
    expect(existsSync(dumpPath)).toBe(true);
    expect(result.backup!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const listing = execFileSync('pg_restore', ['--list', dumpPath], { encoding: 'utf8' });
    expect(listing).toContain('TABLE public backup_runs');

    const row = await h.pool.query('SELECT status, decision, artifact_path, size_bytes FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
    expect(row.rows).toEqual([{ status: 'completed', decision: 'proceed', artifact_path: dumpPath, size_bytes: result.backup!.sizeBytes }]);

    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({ query: `BackupTarget = 'orders-db' AND BackupDecision = 'proceed' AND FailureRisk = 'low'` }))
        ids.push(wf.workflowId);
      return ids.includes(handle.workflowId) ? ids : undefined;
    });
    expect(found).toContain(handle.workflowId);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(BackupTarget)).toBe('orders-db');
  });

  it('waits for approval at high risk with the manual policy; approve (update) proceeds', async () => {
    const handle = await start({ target: 'manual-cmd', context: RISKY });
    await waitForPhase(handle.workflowId, 'awaiting-approval');
    // What the Web UI shows as the run's current details.
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^manual-cmd: risk critical \(0\.\d\d\) -> awaiting approval$/);
    const state = await handle.executeUpdate<PreBackupState, [unknown]>('decide', { args: [{ decision: 'approve', by: 'alice', reason: 'checked disk' }] });
    expect(state.approval).toEqual({ decision: 'approved', by: 'alice', reason: 'checked disk' });
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('approved');
    expect(result.backup?.status).toBe('completed');
    expect(['high', 'critical']).toContain(result.prediction.riskLevel);
    const alerts = await h.pool.query(`SELECT kind, severity FROM alerts WHERE workflow_id = $1`, [handle.workflowId]);
    expect(alerts.rows).toContainEqual({ kind: 'preventive', severity: 'critical' });
    await eventually(async () => webhookBodies.some((b) => b.workflowId === handle.workflowId && b.kind === 'preventive'));
  });

  it('reject (signal) skips the backup and records the decision', async () => {
    const handle = await start({ target: 'manual-cmd', context: RISKY });
    await waitForPhase(handle.workflowId, 'awaiting-approval');
    await handle.signal('reject', { by: 'bob', reason: 'maintenance tonight' });
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('rejected');
    expect(result.backup).toBeNull();
    expect(result.skipReason).toBe('rejected by bob: maintenance tonight');
    const row = await h.pool.query('SELECT status, decision FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
    expect(row.rows).toEqual([{ status: 'skipped', decision: 'rejected' }]);
  });

  it('skips and alerts when no decision arrives before the approval timeout', async () => {
    const handle = await start({ target: 'manual-cmd', context: RISKY, approvalTimeoutMs: 1500 });
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('skipped');
    expect(result.backup).toBeNull();
    const alerts = await h.pool.query(`SELECT kind FROM alerts WHERE workflow_id = $1 ORDER BY id`, [handle.workflowId]);
    expect(alerts.rows.map((r) => r.kind)).toEqual(['preventive', 'approval-timeout']);
  });

  it('refuses an approval update when the run is not awaiting approval', async () => {
    const handle = await start({ target: 'delay-cmd', context: RISKY, delayMinutes: 10 });
    await waitForPhase(handle.workflowId, 'delaying');
    await expect(handle.executeUpdate('decide', { args: [{ decision: 'approve', by: 'eve' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await handle.terminate('test done');
  });

  it('delays, re-predicts from fresh history, and proceeds once the risk drops', async () => {
    const now = Date.now();
    for (let i = 0; i < 8; i++)
      await insertBackupRun(h.pool, {
        backupId: `delay-fail-${i}`,
        target: 'delay-cmd',
        startedAt: new Date(now - (10 - i) * 3_600_000),
        endedAt: null,
        status: 'failed',
        durationSeconds: 60,
        sizeBytes: 0,
        source: 'import',
      });
    const handle = await start({ target: 'delay-cmd' });
    await eventually(async () => {
      const s = await stateOf(handle.workflowId);
      return s.phase === 'delaying' && s.predictions === 1 && s.prediction!.failureProbability > 0.5;
    });
    // The operator fixes the cause; the next runs of this target succeed.
    for (let i = 0; i < 20; i++)
      await insertBackupRun(h.pool, {
        backupId: `delay-ok-${i}`,
        target: 'delay-cmd',
        startedAt: new Date(now - (60 - i) * 60_000),
        endedAt: null,
        status: 'completed',
        durationSeconds: 30,
        sizeBytes: 1000,
        source: 'import',
      });
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('proceed');
    expect(result.delays).toBe(1);
    expect(result.prediction.failureProbability).toBeLessThanOrEqual(0.5);
    expect(result.backup?.status).toBe('completed');
    // The first prediction came with the gate's settings in one local activity; the one after the delay on its own.
    const history = await handle.fetchHistory();
    const localActivities = history
      .events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((m) => JSON.parse(Buffer.from(m.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()).activity_type);
    expect(localActivities).toEqual(['resolveGateAndPredict', 'predictBackupFailure']);
  });

  it('escalates to manual approval after maxDelays', async () => {
    const handle = await start({ target: 'delay-cmd', context: RISKY, delayMinutes: 0.01, maxDelays: 2 });
    await waitForPhase(handle.workflowId, 'awaiting-approval');
    const state = await stateOf(handle.workflowId);
    expect(state.delays).toBe(2);
    expect(state.escalated).toBe(true);
    await handle.signal('approve', { by: 'oncall' });
    expect((await handle.result()).decision).toBe('approved');
  });

  it('records a failing backup as failed with its error', async () => {
    const handle = await start({ target: 'broken-cmd' });
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('proceed');
    expect(result.backup?.status).toBe('failed');
    expect(result.backup?.error).toContain('exited with code 3: disk gone');
    const row = await h.pool.query('SELECT status, error_message FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
    expect(row.rows[0]).toEqual({ status: 'failed', error_message: result.backup!.error });
    const alerts = await h.pool.query(`SELECT kind FROM alerts WHERE workflow_id = $1`, [handle.workflowId]);
    expect(alerts.rows.map((r) => r.kind)).toContain('backup-failed');
  });

  it('records an unreachable database as a failed backup without leaking its password', async () => {
    const handle = await start({ target: 'unreachable-db' });
    const result: PreBackupResult = await handle.result();
    expect(result.backup?.status).toBe('failed');
    expect(result.backup?.error).toMatch(/pg_dump exited with code 1/);
    expect(JSON.stringify(result)).not.toContain('hunter2-canary');
    const history = await h.client.workflow.getHandle(handle.workflowId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain('hunter2-canary');
    const row = await h.pool.query('SELECT error_message FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
    expect(row.rows[0].error_message).not.toContain('hunter2-canary');
  });

  it('fails fast, without retrying, on invalid input and on an unknown target', async () => {
    const invalid = await start({ target: 'delay-cmd', threshold: 5 } as PreBackupInput);
    const error = await invalid.result().catch((e) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(error.cause).toBeInstanceOf(ApplicationFailure);
    expect(error.cause.nonRetryable).toBe(true);
    expect(error.cause.message).toContain('threshold must be in (0, 1] (got 5)');

    const unknown = await start({ target: 'no-such-target' });
    const unknownError = await unknown.result().catch((e) => e);
    expect(unknownError).toBeInstanceOf(WorkflowFailedError);
    let cause: Error = unknownError;
    while (cause.cause instanceof Error) cause = cause.cause;
    expect(cause.message).toContain('unknown target "no-such-target"');
    // resolveGateAndPredict is a local activity: its outcome is a marker whose data records the attempt that produced it.
    const history = await unknown.fetchHistory();
    const markers = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    const attempts = markers.map((m) => JSON.parse(Buffer.from(m.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()).attempt);
    expect(attempts).toEqual([1]);
  });

  it("flags a run much longer than the target's history as critical and alerts once per incident", async () => {
    // History: quick `true`-like runs of about 0.05 s (command targets report no size); the target now runs `sleep 2`.
    const now = Date.now();
    for (let i = 0; i < 12; i++)
      await insertBackupRun(h.pool, {
        backupId: `steady-${i}`,
        target: 'steady-cmd',
        startedAt: new Date(now - (20 - i) * 3_600_000),
        endedAt: null,
        status: 'completed',
        durationSeconds: 0.04 + 0.01 * (i % 3),
        sizeBytes: null,
        source: 'import',
      });
    const first: PreBackupResult = await (await start({ target: 'steady-cmd' })).result();
    const duration = first.anomalies.find((a) => a.metric === 'durationSeconds');
    expect(duration).toMatchObject({ isAnomaly: true, severity: 'critical', direction: 'above', reasons: ['longer_than_usual'] });
    expect(duration!.expected.upper).toBeLessThan(1);
    expect(first.anomalies.map((a) => a.metric)).toEqual(['durationSeconds']);
    expect(first.anomalyCheck).toMatchObject({ status: 'scored', minHistoryRuns: 10, historyRuns: 12, unscoredMetrics: ['sizeBytes'] });
    expect(first.anomalyCheck!.incidents.opened).toHaveLength(1);
    expect(first.anomalyCheck!.alertsSent).toEqual([first.anomalyCheck!.incidents.opened[0]!.incidentId]);

    // Same anomaly on the next run: still critical, but the incident is already open, so no second alert.
    const second: PreBackupResult = await (await start({ target: 'steady-cmd' })).result();
    expect(second.anomalies.find((a) => a.metric === 'durationSeconds')).toMatchObject({ severity: 'critical', direction: 'above' });
    expect(second.anomalyCheck).toMatchObject({ incidents: { opened: [], continued: [first.anomalyCheck!.incidents.opened[0]!.incidentId] }, alertsSent: [] });
    const alerts = await h.pool.query(`SELECT kind, severity, message FROM alerts WHERE target = 'steady-cmd' AND kind = 'anomaly'`);
    expect(alerts.rows).toHaveLength(1);
    expect(alerts.rows[0]).toMatchObject({ severity: 'critical' });
    expect(alerts.rows[0].message).toMatch(/^steady-cmd: duration far above usual \(2(\.\d+)? s vs median 0\.05 s/);
  });

  it('survives a worker restart in the middle of a delay', async () => {
    const handle = await start({ target: 'restart-cmd', context: RISKY, approvalTimeoutMs: 2000 });
    await waitForPhase(handle.workflowId, 'delaying');
    await worker.stop();
    const replacement = await h.startWorker();
    worker = replacement;
    const result: PreBackupResult = await handle.result();
    // Still risky after its one delay: escalated to manual approval, which nobody gave in time.
    expect(result.delays).toBe(1);
    expect(result.decision).toBe('skipped');
    const started = (await handle.fetchHistory())
      .events!.filter((e) => e.workflowTaskStartedEventAttributes)
      .map((e) => e.workflowTaskStartedEventAttributes!.identity);
    expect(new Set(started).size).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
