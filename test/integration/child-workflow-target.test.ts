import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preBackupWorkflowId, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
let theirWorker: Worker;
let theirRun: Promise<void>;
let native: NativeConnection;

beforeAll(async () => {
  h = await createHarness('child');
  const theirQueue = `${h.taskQueue}-theirs`;
  await h.writeConfig({
    targets: [
      { name: 'warehouse', kind: 'workflow', workflow: { type: 'customBackup', taskQueue: theirQueue } },
      { name: 'warehouse-broken', kind: 'workflow', workflow: { type: 'failingCustomBackup', taskQueue: theirQueue } },
    ],
  });
  await h.startWorker();
  native = await NativeConnection.connect({ address: h.temporalAddress });
  theirWorker = await Worker.create({
    connection: native,
    taskQueue: theirQueue,
    workflowsPath: fileURLToPath(new URL('../fixtures/custom-backup-workflows.ts', import.meta.url)),
    dataConverter: sentinelDataConverter(),
  });
  theirRun = theirWorker.run();
});

afterAll(async () => {
  theirWorker?.shutdown();
  await theirRun?.catch(() => undefined);
  await native?.close();
  await h?.close();
});

const run = async (target: string): Promise<PreBackupResult & { workflowId: string }> => {
  const handle = await h.client.workflow.start('preBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(target, new Date()),
    args: [{ target }],
  });
  return { workflowId: handle.workflowId, ...(await handle.result()) };
};

describe('a `workflow` target', () => {
  it('starts the named workflow as a child on its task queue and records its size', async () => {
    const result = await run('warehouse');
    expect(result.decision).toBe('proceed');
    expect(result.backup).toMatchObject({ status: 'completed', sizeBytes: 4096 });
    const child = await h.client.workflow.getHandle(`${result.workflowId}/backup`).describe();
    expect(child.type).toBe('customBackup');
    const row = await h.pool.query('SELECT status, size_bytes FROM backup_runs WHERE workflow_id = $1', [result.workflowId]);
    expect(row.rows).toEqual([{ status: 'completed', size_bytes: 4096 }]);
  });

  it('records a failing child as a failed backup with its reason', async () => {
    const result = await run('warehouse-broken');
    expect(result.backup).toMatchObject({ status: 'failed', error: 'snapshot API refused: quota exceeded' });
    const row = await h.pool.query('SELECT status, error_message FROM backup_runs WHERE workflow_id = $1', [result.workflowId]);
    expect(row.rows).toEqual([{ status: 'failed', error_message: 'snapshot API refused: quota exceeded' }]);
  });
});
