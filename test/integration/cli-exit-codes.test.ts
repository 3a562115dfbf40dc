import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { cliFailure, runCli } from '../helpers/cli.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

// The real `sentinel` executable against the dev server and PostgreSQL: the exit code says how a run ended.
const KEY = Buffer.alloc(32, 0x5a).toString('base64');

let h: Harness;
let env: Record<string, string>;
let etc: string;

beforeAll(async () => {
  process.env.CONFIG_BACKUP_KEY = KEY; // before the harness: its client's payload codec reads the key
  h = await createHarness('cli-exit');
  etc = path.join(h.dir, 'etc');
  await mkdir(etc, { recursive: true });
  await h.writeConfig({
    targets: [
      { name: 'works', kind: 'command', command: 'true', policy: 'manual', threshold: 0.99 },
      { name: 'breaks', kind: 'command', command: 'echo disk on fire >&2; exit 3', policy: 'manual', threshold: 0.99 },
      { name: 'gated', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
      { name: 'to-reject', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
    ],
  });
  // The in-process worker reads CONFIG_* from this process's environment at each run.
  Object.assign(process.env, { CONFIG_BACKUP_DIR: path.join(h.dir, 'config-store') });
  delete process.env.CONFIG_ENV_PREFIX;
  await h.startWorker();
  env = {
    TEMPORAL_ADDRESS: h.temporalAddress,
    DATABASE_URL: h.databaseUrl,
    SENTINEL_CONFIG: h.configPath,
    SENTINEL_TASK_QUEUE: h.taskQueue,
    SENTINEL_DATA_DIR: h.dir,
    CONFIG_BACKUP_KEY: KEY,
    CONFIG_BACKUP_DIR: path.join(h.dir, 'config-store'),
  };
});

afterAll(async () => h?.close());

describe('sentinel exit codes', () => {
  it('backup run --wait: 0 when backed up, 3 when the backup failed', async () => {
    const [ok, failed] = await Promise.all([runCli(['backup', 'run', 'works', '--wait'], env), runCli(['backup', 'run', 'breaks', '--wait', '--json'], env)]);
    expect(ok.stderr).not.toContain('error:');
    expect(ok.code, cliFailure(ok)).toBe(ExitCode.ok);
    expect(ok.stdout).toContain('backup completed');
    expect(JSON.parse(failed.stdout)).toMatchObject({ decision: 'proceed', backup: { status: 'failed' } });
    expect(failed.code, cliFailure(failed)).toBe(ExitCode.backupFailed);
    expect(ExitCode.backupFailed).toBe(3);
  });

  it('unknown target and unknown option: invalid input (2)', async () => {
    const unknown = await runCli(['backup', 'run', 'nope', '--wait'], env);
    expect(unknown.code, cliFailure(unknown)).toBe(ExitCode.invalidInput);
    expect(unknown.stderr.trim()).toBe('error: unknown target "nope"; configured targets: works, breaks, gated, to-reject');
    const badOption = await runCli(['backup', 'run', 'works', '--bogus'], env);
    expect(badOption.code, cliFailure(badOption)).toBe(ExitCode.invalidInput);
    expect(badOption.stderr).toContain("error: unknown option '--bogus'");
    const badTimeout = await runCli(['backup', 'run', 'works', '--wait-timeout', 'soon'], env);
    expect(badTimeout.code, cliFailure(badTimeout)).toBe(ExitCode.invalidInput);
    expect(badTimeout.stderr).toContain('must be a duration such as 30s');
    const badLogFormat = await runCli(['--log-format', 'xml', 'config', 'list'], env);
    expect(badLogFormat.code, cliFailure(badLogFormat)).toBe(ExitCode.invalidInput);
    expect(badLogFormat.stderr.trim()).toBe('error: --log-format must be "text" or "json" (got "xml")');
  });

  it('a high-risk manual run: --wait-timeout 2s gives up with 6 and says what it waited for', async () => {
    const started = Date.now();
    const run = await runCli(['backup', 'run', 'gated', '--threshold', '0.000001', '--wait', '--wait-timeout', '2s'], env);
    expect(run.code, cliFailure(run)).toBe(ExitCode.stillRunning);
    expect(Date.now() - started).toBeLessThan(60_000);
    const workflowId = /^(pre-backup\/gated\/\S+): still running/.exec(run.stdout)?.[1];
    expect(workflowId, run.stdout).toBeTruthy();
    expect(run.stdout).toContain('still running (awaiting-approval) after 2 s');
    expect(run.stderr).toContain(`waiting for pre-backup workflow ${workflowId}: `); // its phase when last asked
    // The run goes on; the status shows why it is held.
    const status = await runCli(['backup', 'status', workflowId!], env);
    expect(status.code, cliFailure(status)).toBe(ExitCode.ok);
    expect(status.stdout).toContain('risk factors:');
    expect(status.stdout).toContain('recommended actions:');
    expect(status.stdout).toContain(`awaiting a decision: sentinel backup approve|reject ${workflowId}`);
    await h.client.workflow.getHandle(workflowId!).terminate('test done');
  });

  it('not backed up (5): rejected while --wait waits, or no approval in time; status says who rejected and why', async () => {
    const waiting = runCli(['backup', 'run', 'to-reject', '--threshold', '0.000001', '--wait'], env);
    const workflowId = await eventually(
      async () => {
        for await (const wf of h.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}" AND ExecutionStatus = "Running"` }))
          if (wf.workflowId.startsWith('pre-backup/to-reject/')) {
            const state = await h.client.workflow.getHandle(wf.workflowId).query<{ phase: string }>('state');
            if (state.phase === 'awaiting-approval') return wf.workflowId;
          }
        return undefined;
      },
      60_000,
      500,
    );
    const rejected = await runCli(['backup', 'reject', workflowId, '--by', 'carol', '--reason', 'month-end freeze'], env);
    expect(rejected.code, cliFailure(rejected)).toBe(ExitCode.ok);
    const waited = await waiting;
    expect(waited.code, cliFailure(waited)).toBe(ExitCode.notBackedUp);
    expect(waited.stdout).toContain('rejected by carol: month-end freeze');
    const status = await runCli(['backup', 'status', workflowId], env);
    expect(status.stdout).toContain('rejected by carol: month-end freeze');
    expect(status.stdout).toContain('risk factors:');

    const timedOut = await runCli(['backup', 'run', 'gated', '--threshold', '0.000001', '--approval-timeout', '1', '--wait'], env);
    expect(timedOut.code, cliFailure(timedOut)).toBe(ExitCode.notBackedUp);
    expect(timedOut.stdout).toContain('skipped: no decision within 1 s');
  });

  it('config backup --wait: 4 when one file fails among good ones, 3 when every item fails, 0 when all are fine', async () => {
    await writeFile(path.join(etc, 'app.yaml'), 'workers: 4\n');
    await writeFile(path.join(etc, 'nginx.conf'), 'server { listen 80; }\n');
    // Mode 000 does not stop root (these tests run as root); a NUL byte makes the file unreadable as configuration.
    await writeFile(path.join(etc, 'broken.conf'), Buffer.from([0x61, 0x00, 0x62]));
    process.env.CONFIG_FILES_TO_BACKUP = ['app.yaml', 'nginx.conf', 'broken.conf'].map((f) => path.join(etc, f)).join(',');
    const partial = await runCli(['config', 'backup', '--wait'], env);
    expect(partial.code, cliFailure(partial)).toBe(ExitCode.partialFailure);
    expect(partial.stdout).toContain('2 backed up, 0 unchanged, 1 failed');
    expect(partial.stderr).toContain(`error: 1 item(s) failed: ${path.join(etc, 'broken.conf')}`);

    process.env.CONFIG_FILES_TO_BACKUP = path.join(etc, 'broken.conf');
    const total = await runCli(['config', 'backup', '--wait'], env);
    expect(total.code, cliFailure(total)).toBe(ExitCode.backupFailed);

    process.env.CONFIG_FILES_TO_BACKUP = path.join(etc, 'app.yaml');
    const fine = await runCli(['config', 'backup', '--wait'], env);
    expect(fine.stderr).not.toContain('error:');
    expect(fine.code, cliFailure(fine)).toBe(ExitCode.ok);
  });
});
