import os from 'node:os';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelClient } from '../../client/sentinel-client.js';
import type { ApprovalRow } from '../../db/repositories/approvals.js';
import type { PreBackupResult } from '../../domain/pre-backup/contract.js';
import { approveSignal, preBackupWorkflow, stateQuery } from '../../workflows/pre-backup.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

// Issue #15 item 3: who approved the risky backup in March, after Temporal's retention deleted the history.
const RISKY = { successRate: 0.2, recentFailures: 4 };
const OS_USER = os.userInfo().username;

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('approval-audit');
  await h.writeConfig({
    targets: [
      { name: 'audited', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5, approvers: ['alice', 'bob'] },
      { name: 'open-door', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
    ],
  });
  await h.startWorker();
  env = h.cliEnv();
});

afterAll(async () => h?.close());

async function awaitingRun(target: string) {
  const handle = await h.client.workflow.start(preBackupWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: `pre-backup/${target}/${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`,
    args: [{ target, context: RISKY }],
  });
  await eventually(async () => (await handle.query(stateQuery)).phase === 'awaiting-approval', 60_000);
  return handle;
}

const rowsOf = async (workflowId: string) =>
  (
    await h.pool.query('SELECT seq, decision, decided_by, reason, transport, via, outcome, note FROM approvals WHERE workflow_id = $1 ORDER BY seq', [
      workflowId,
    ])
  ).rows;

describe('approval audit', () => {
  it('refuses non-approvers (update at once, signal recorded as refused), defaults --by to the OS user, and records every decision', async () => {
    const handle = await awaitingRun('audited');

    // The CLI without --by decides as the OS user, who is not on the list: refused with the reason, exit 1.
    const asOsUser = await runCli(['backup', 'approve', handle.workflowId, '--reason', 'looks fine'], env);
    expect(asOsUser.code).toBe(1);
    expect(asOsUser.stderr).toContain(`decision refused: ${OS_USER} is not an approver of audited (approvers: alice, bob)`);

    // A signal cannot be answered: it is recorded as refused and ignored; the run keeps waiting.
    await handle.signal(approveSignal, { by: 'mallory', reason: 'trust me', via: 'script' });
    expect(await handle.query(stateQuery)).toMatchObject({ phase: 'awaiting-approval', approval: null });

    const approved = await runCli(['backup', 'approve', handle.workflowId, '--by', 'alice', '--reason', 'month-end run checked', '--json'], env);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ accepted: true, approval: { decision: 'approved', by: 'alice', reason: 'month-end run checked' } });
    const result = (await handle.result()) as PreBackupResult;
    expect(result.decision).toBe('approved');

    expect(await rowsOf(handle.workflowId)).toEqual([
      {
        seq: 1,
        decision: 'approve',
        decided_by: 'mallory',
        reason: 'trust me',
        transport: 'signal',
        via: 'script',
        outcome: 'refused',
        note: 'mallory is not an approver of audited (approvers: alice, bob)',
      },
      { seq: 2, decision: 'approve', decided_by: 'alice', reason: 'month-end run checked', transport: 'update', via: 'cli', outcome: 'accepted', note: null },
    ]);
  });

  it('keeps the audit after the workflow history is deleted, and lists it from the CLI', async () => {
    const handle = await awaitingRun('open-door');
    const client = SentinelClient.fromClient(h.client, h.taskQueue);
    await client.reject(handle.workflowId, { by: 'carol', reason: 'freeze week' });
    expect(((await handle.result()) as PreBackupResult).decision).toBe('rejected');

    await h.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: handle.workflowId } });
    await eventually(
      async () =>
        (await handle.describe().then(
          () => false,
          (error) => error instanceof WorkflowNotFoundError,
        )) || undefined,
      60_000,
    );

    const listed = await runCli(['backup', 'approvals', '--target', 'open-door', '--json'], env);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as ApprovalRow[];
    expect(rows.filter((r) => r.workflowId === handle.workflowId)).toEqual([
      expect.objectContaining({
        target: 'open-door',
        decision: 'reject',
        by: 'carol',
        reason: 'freeze week',
        transport: 'update',
        via: 'client',
        outcome: 'accepted',
      }),
    ]);
    const human = await runCli(['backup', 'approvals', '--target', 'open-door'], env);
    expect(human.stdout).toMatch(/DECIDED AT\s+TARGET\s+DECISION\s+OUTCOME\s+BY/);
    expect(human.stdout).toMatch(/open-door\s+reject\s+accepted\s+carol\s+client\/update/);
  });
});
