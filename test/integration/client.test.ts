import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelClient, type PreBackupResult } from '../../client/index.js';
import { startDeployService } from '../../examples/deploy-service.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

let h: Harness;
let sentinel: SentinelClient;

beforeAll(async () => {
  h = await createHarness('client');
  await h.writeConfig({ targets: [{ name: 'orders', kind: 'command', command: 'true' }, { name: 'gated', kind: 'command', command: 'true', policy: 'manual' }] });
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
      const approved = await fetch(`${service.url}/runs/${encodeURIComponent(risky.workflowId)}/approve`, { method: 'POST', body: JSON.stringify({ by: 'rm', reason: 'go' }) });
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
});
