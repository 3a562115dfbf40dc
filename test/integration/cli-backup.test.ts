import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('cli');
  await h.writeConfig({
    targets: [
      { name: 'orders-db', kind: 'postgres', url: h.databaseUrl, policy: 'manual', threshold: 0.5 },
      { name: 'nightly', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
      { name: 'fresh-db', kind: 'postgres', url: h.databaseUrl },
    ],
  });
  await h.startWorker();
  env = h.cliEnv();
});

afterAll(async () => h?.close());

describe('sentinel CLI against the dev server and PostgreSQL', () => {
  it('backup run --wait --json runs the gate and the real dump', async () => {
    const run = await runCli(['backup', 'run', 'orders-db', '--wait', '--json'], env);
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.workflowId).toMatch(/^pre-backup\/orders-db\/\d{4}-\d\d-\d\dT/);
    expect(result).toMatchObject({ decision: 'proceed', delays: 0, backup: { status: 'completed' } });
    expect(JSON.stringify(result)).not.toContain(new URL(h.databaseUrl).password);
  });

  it('backup run prints the workflow ID; status, approve and a refused second approve', async () => {
    const started = await runCli(['backup', 'run', 'nightly', '--threshold', '0.000001'], env);
    expect(started.code).toBe(0);
    const workflowId = started.stdout.trim();
    expect(workflowId).toMatch(/^pre-backup\/nightly\//);
    await eventually(
      async () => {
        const status = await runCli(['backup', 'status', workflowId, '--json'], env);
        return JSON.parse(status.stdout).state?.phase === 'awaiting-approval';
      },
      60_000,
      500,
    );
    const approved = await runCli(['backup', 'approve', workflowId, '--by', 'alice', '--reason', 'window is quiet', '--json'], env);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toEqual({ workflowId, accepted: true, approval: { decision: 'approved', by: 'alice', reason: 'window is quiet' } });
    const again = await runCli(['backup', 'reject', workflowId, '--by', 'bob'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/decision refused: (a decision was already made|not awaiting approval|workflow execution already completed)/);
    const final = await eventually(
      async () => {
        const status = JSON.parse((await runCli(['backup', 'status', workflowId, '--json'], env)).stdout);
        return status.status === 'COMPLETED' ? status : undefined;
      },
      60_000,
      500,
    );
    expect(final.result).toMatchObject({ decision: 'approved', approval: { by: 'alice' } });
  });

  it('predict --json prints the prediction with factors and actions, without starting a workflow', async () => {
    const run = await runCli(
      [
        'predict',
        '--target',
        'fresh-db',
        '--estimated-duration',
        '300',
        '--estimated-size',
        String(500 * 1024 ** 2),
        '--database-size-gb',
        '50',
        '--success-rate',
        '0.92',
        '--recent-failures',
        '1',
        '--json',
      ],
      env,
    );
    expect(run.code).toBe(0);
    const prediction = JSON.parse(run.stdout);
    expect(prediction).toMatchObject({ target: 'fresh-db', riskLevel: 'low', model: { kind: 'rules' }, context: { successRate: 0.92, recentFailures: 1 } });
    expect(prediction.failureProbability).toBeGreaterThan(0.05);
    expect(prediction.failureProbability).toBeLessThan(0.3);
    expect(prediction.riskFactors.length).toBeGreaterThan(0);
    expect(prediction.recommendedActions.length).toBeGreaterThan(0);
  });

  it('gives one clear message for an unknown target, a bad flag, a malformed config and an unreachable database', async () => {
    const unknown = await runCli(['backup', 'run', 'nope'], env);
    expect(unknown.code).toBe(2); // invalid input (cli/exit-codes.ts); it was 1 before issue #11 item 4
    expect(unknown.stderr.trim()).toBe('error: unknown target "nope"; configured targets: orders-db, nightly, fresh-db');

    const badFlag = await runCli(['predict', '--target', 'orders-db', '--success-rate', '1.7'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("argument '1.7' is invalid. must be a number between 0 and 1");

    const brokenConfig = `${h.dir}/broken.yaml`;
    await import('node:fs/promises').then((fs) => fs.writeFile(brokenConfig, 'targets:\n  - name: x\n    kind: postgres\n    url: mysql://nope\n'));
    const malformed = await runCli(['predict', '--target', 'x'], { ...env, SENTINEL_CONFIG: brokenConfig });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('targets[0].url: must be a postgres:// or postgresql:// URL');

    const noDb = await runCli(['predict', '--target', 'orders-db'], { ...env, DATABASE_URL: 'postgres://sentinel:topsecret@127.0.0.1:1/none' });
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toMatch(/^error: cannot use the database at postgres:\/\/sentinel:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(noDb.stderr).not.toContain('topsecret');

    const noWorkflow = await runCli(['backup', 'status', 'pre-backup/none/x', '--json'], env);
    expect(noWorkflow.stderr.trim()).toBe('error: no workflow with ID "pre-backup/none/x"');
  });

  it('--help works from the real executable', async () => {
    const run = await runCli(['backup', 'run', '--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: sentinel backup run [options] <name>');
  });
});
