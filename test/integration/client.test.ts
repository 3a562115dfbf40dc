import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelClient, WORKFLOW_TYPES, type ConfigBackupResult, type PreBackupResult, type TrainModelResult } from '../../client/index.js';
import { rootMessage } from '../../domain/errors/root-message.js';
import { startDeployService } from '../../examples/deploy-service.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

let h: Harness;
let sentinel: SentinelClient;

beforeAll(async () => {
  h = await createHarness('client');
  await h.writeConfig({
    targets: [
      { name: 'orders', kind: 'command', command: 'true' },
      { name: 'gated', kind: 'command', command: 'true', policy: 'manual' },
    ],
  });
  process.env.CONFIG_BACKUP_DIR = path.join(h.dir, 'config-store'); // read by the in-process worker's activities at each call
  await h.startWorker();
  sentinel = await SentinelClient.connect({ connection: await Connection.connect({ address: h.temporalAddress }), taskQueue: h.taskQueue });
});

afterAll(async () => {
  await sentinel?.temporal.connection.close();
  await h?.close();
});

describe('the client for other services', () => {
  it('starts the same logical run only once (same target and scheduled time), running or finished', async () => {
    const scheduledAt = '2026-11-22T01:00:00.000Z';
    const first = await sentinel.startPreBackup({ target: 'orders' }, { scheduledAt });
    const concurrent = await sentinel.startPreBackup({ target: 'orders' }, { scheduledAt });
    expect(first).toMatchObject({ workflowId: `pre-backup/orders/${scheduledAt}`, alreadyStarted: false });
    expect(concurrent).toMatchObject({ workflowId: first.workflowId, alreadyStarted: true, runId: first.runId });
    const result: PreBackupResult = await sentinel.preBackupResult(first.workflowId);
    expect(result.decision).toBe('proceed');
    const after = await sentinel.startPreBackup({ target: 'orders' }, { scheduledAt });
    expect(after).toMatchObject({ alreadyStarted: true, runId: first.runId });
    const rows = await h.pool.query(`SELECT count(*)::int AS n FROM backup_runs WHERE workflow_id = $1`, [first.workflowId]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('the example deploy service gates a deploy and approves it through the client', async () => {
    const service = await startDeployService({ sentinel });
    try {
      const started = await fetch(`${service.url}/deploys/gated`, { method: 'POST', body: JSON.stringify({ deployId: 'deploy-42' }) });
      expect(started.status).toBe(202);
      const run = (await started.json()) as { workflowId: string };
      const retried = await fetch(`${service.url}/deploys/gated`, { method: 'POST', body: JSON.stringify({ deployId: 'deploy-42' }) });
      expect(retried.status).toBe(200);
      expect(((await retried.json()) as { workflowId: string }).workflowId).toBe(run.workflowId);
      // Force the approval path: the target's history says it fails (the client passes inputs through unchanged).
      const risky = await sentinel.startPreBackup({ target: 'gated', context: { successRate: 0.1, recentFailures: 4 } }, { scheduledAt: 'deploy-43' });
      await eventually(async () => (await sentinel.preBackupState(risky.workflowId)).phase === 'awaiting-approval');
      const approved = await fetch(`${service.url}/runs/${encodeURIComponent(risky.workflowId)}/approve`, {
        method: 'POST',
        body: JSON.stringify({ by: 'rm', reason: 'go' }),
      });
      expect(((await approved.json()) as { approval: unknown }).approval).toEqual({ decision: 'approved', by: 'rm', reason: 'go' });
      const status = await eventually(async () => {
        const s = (await (await fetch(`${service.url}/runs/${encodeURIComponent(risky.workflowId)}`)).json()) as { status: string; result: PreBackupResult };
        return s.status === 'COMPLETED' ? s : undefined;
      });
      expect(status.result.decision).toBe('approved');
    } finally {
      await service.close();
    }
  });

  it('starts a config backup with an app config (encrypted end to end), once per logical run', async () => {
    const CANARY = 'client-canary-9f1c2e7d';
    const file = path.join(h.dir, 'service.env');
    await writeFile(file, 'HOST=billing.internal\nAPI_TOKEN=not-the-canary\n');
    const at = '2026-11-22T01:00:00.000Z';
    const input = {
      envPrefix: 'SENTINEL_CLIENT_TEST_NONE_',
      files: [file],
      apps: [{ name: 'billing', config: { url: 'https://billing.internal', password: CANARY } }],
    };
    const first = await sentinel.startConfigBackup(input, { at });
    expect(first).toMatchObject({ workflowId: `config-backup/${at}`, alreadyStarted: false });
    expect(await sentinel.startConfigBackup(input, { at })).toMatchObject({ workflowId: first.workflowId, alreadyStarted: true, runId: first.runId });
    const result: ConfigBackupResult = await sentinel.configBackupResult(first.workflowId);
    const status = Object.fromEntries(result.items.map((item) => [`${item.type}:${item.name}`, item.status]));
    expect(status).toMatchObject({ [`file:${file}`]: 'backed_up', 'app:billing': 'backed_up' });
    // The app config travelled as a workflow input: in the server's history it is ciphertext only.
    const raw = await Connection.connect({ address: h.temporalAddress });
    try {
      const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: first.workflowId } });
      expect(JSON.stringify(history)).not.toContain(CANARY);
      expect(Buffer.from(JSON.stringify(history)).toString('base64')).not.toContain(Buffer.from(CANARY).toString('base64'));
    } finally {
      await raw.close();
    }
  });

  it('starts training and a rollback, with typed results', async () => {
    const training = await sentinel.startTraining({ minFailures: 1_000_000 }, { at: 'client-test' });
    expect(training.workflowId).toBe('train-model/client-test');
    const trained: TrainModelResult = await sentinel.trainingResult(training.workflowId);
    expect(trained).toMatchObject({ outcome: 'no-model', version: null });
    expect(trained.reason).toMatch(/failure/);
    // Nothing was ever promoted in this database, so there is nothing to roll back to: a clear workflow failure.
    const rollback = await sentinel.startRollback({ scheduleId: 'client-test/no-such-schedule' }, { at: 'client-test' });
    const failure = await sentinel.rollbackResult(rollback.workflowId).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(rootMessage(failure as Error)).toMatch(/nothing to roll back/);
    expect((await sentinel.temporal.workflow.getHandle(rollback.workflowId).describe()).type).toBe(WORKFLOW_TYPES.rollbackModel);
  });
});
