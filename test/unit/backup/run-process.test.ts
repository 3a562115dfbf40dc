/**
 * runProcess starts children from its spawn helper process (activities/backup/spawn-helper.ts), so the synchronous
 * fork neither holds the worker's event loop nor copies the worker's page tables: real child processes, outside an
 * activity (no heartbeats).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, spawnHelperPid } from '../../../activities/backup/process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'run-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runProcess', () => {
  it('returns the exit code and the tail of stdout and stderr, with the environment it was given', async () => {
    const outcome = await runProcess('printf "%s-" "$GREETING"; echo oops >&2; exit 3', [], {
      shell: true,
      timeoutMs: 30_000,
      env: { ...process.env, GREETING: 'hello' },
    });
    expect(outcome).toMatchObject({ exitCode: 3, signal: null, timedOut: false });
    expect(outcome.outputTail).toContain('hello-');
    expect(outcome.outputTail).toContain('oops');
    expect(outcome.spawnError).toBeUndefined();
  });

  it('keeps only the last 4 KiB of output', async () => {
    const outcome = await runProcess('head -c 100000 /dev/zero | tr "\\0" a; printf END', [], { shell: true, timeoutMs: 30_000 });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.outputTail.length).toBe(4096);
    expect(outcome.outputTail.endsWith('aEND')).toBe(true);
  });

  it('reports a command that cannot start as a spawn error with its code', async () => {
    const outcome = await runProcess('/nonexistent/definitely-not-here', [], { timeoutMs: 30_000 });
    expect(outcome.spawnError?.code).toBe('ENOENT');
    expect(outcome.exitCode).not.toBe(0);
  });

  it('kills the whole process group on timeout, a shell background child too', async () => {
    const pidFile = path.join(dir, 'background.pid');
    const started = Date.now();
    const outcome = await runProcess(`sleep 60 & echo $! > ${pidFile}; wait`, [], { shell: true, timeoutMs: 1_000 });
    expect(outcome.timedOut).toBe(true);
    expect(outcome.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(20_000);
    const background = Number((await readFile(pidFile, 'utf8')).trim());
    expect(background).toBeGreaterThan(0);
    // The background sleep was in the group: gone (or a zombie about to be reaped by init) within a moment.
    expect(await goneWithin(background, 5_000)).toBe(true);
  });

  it('starts children from a small helper process, not from this one', async () => {
    const outcome = await runProcess('echo "parent=$PPID"', [], { shell: true, timeoutMs: 30_000 });
    const helper = Number(/parent=(\d+)/.exec(outcome.outputTail)?.[1]);
    expect(helper).toBeGreaterThan(0);
    expect(helper).not.toBe(process.pid);
    expect(await readFile(`/proc/${helper}/cmdline`, 'utf8')).toContain('spawn-helper');
    // The same helper serves the next run.
    const again = await runProcess('echo "parent=$PPID"', [], { shell: true, timeoutMs: 30_000 });
    expect(again.outputTail).toContain(`parent=${helper}`);
  });

  it('keeps a run going when the helper gets SIGTERM or SIGINT (they reach it with a worker shutting down)', async () => {
    const parentFile = path.join(dir, 'signalled.parent');
    const run = runProcess(`echo $PPID > ${parentFile}; sleep 1; exit 7`, [], { shell: true, timeoutMs: 30_000 });
    const helper = await waitForNumber(parentFile);
    process.kill(helper, 'SIGTERM');
    process.kill(helper, 'SIGINT');
    const outcome = await run;
    expect(outcome).toMatchObject({ exitCode: 7, signal: null, timedOut: false });
    expect(outcome.spawnError).toBeUndefined();
    expect(alive(helper)).toBe(true);
  });

  it('fails the runs in flight when the helper dies, kills their groups, and starts a new helper for the next run', async () => {
    const parentFile = path.join(dir, 'killed.parent');
    const sleeperFile = path.join(dir, 'killed.sleeper');
    const run = runProcess(`echo $PPID > ${parentFile}; sleep 60 & echo $! > ${sleeperFile}; wait`, [], { shell: true, timeoutMs: 60_000 });
    const helper = await waitForNumber(parentFile);
    const sleeper = await waitForNumber(sleeperFile);
    process.kill(helper, 'SIGKILL');
    const outcome = await run;
    expect(outcome.spawnError?.code).toBe('ESPAWNHELPER');
    expect(outcome.spawnError?.message).toContain('spawn helper stopped: signal SIGKILL');
    expect(outcome.timedOut).toBe(false);
    expect(await goneWithin(sleeper, 5_000)).toBe(true);

    const next = await runProcess('echo "parent=$PPID"; exit 4', [], { shell: true, timeoutMs: 30_000 });
    expect(next.exitCode).toBe(4);
    const newHelper = Number(/parent=(\d+)/.exec(next.outputTail)?.[1]);
    expect(newHelper).toBeGreaterThan(0);
    expect(newHelper).not.toBe(helper);
  });

  it('passes NODE_OPTIONS to the commands but not to the helper (no APM agent or profiler loaded into it again)', async () => {
    // A new helper, started while this process has NODE_OPTIONS set.
    const first = await runProcess('echo "parent=$PPID"', [], { shell: true, timeoutMs: 30_000 });
    const old = Number(/parent=(\d+)/.exec(first.outputTail)?.[1]);
    process.kill(old, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (spawnHelperPid() === old && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(spawnHelperPid()).toBeUndefined();
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-old-space-size=512';
    try {
      const outcome = await runProcess('echo "options=$NODE_OPTIONS parent=$PPID"', [], { shell: true, timeoutMs: 30_000 });
      expect(outcome.outputTail).toContain('options=--max-old-space-size=512');
      const helper = Number(/parent=(\d+)/.exec(outcome.outputTail)?.[1]);
      expect(helper).not.toBe(old);
      const environ = (await readFile(`/proc/${helper}/environ`, 'utf8')).split('\0');
      expect(environ.some((entry) => entry.startsWith('PATH='))).toBe(true);
      expect(environ.filter((entry) => entry.startsWith('NODE_OPTIONS='))).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  });

  it('does not keep its process alive once idle, and the helper exits with it', async () => {
    const script = path.join(dir, 'idle-exit.mts');
    const processModule = fileURLToPath(new URL('../../../activities/backup/process.ts', import.meta.url));
    await writeFile(
      script,
      `import { runProcess } from ${JSON.stringify(processModule)};\nconst o = await runProcess('echo "parent=$PPID"', [], { shell: true, timeoutMs: 30_000 });\nconsole.log(o.outputTail);\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the process did not exit by itself within 20 s; stderr: ${err}`));
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(exitCode, err).toBe(0);
    const helper = Number(/parent=(\d+)/.exec(out)?.[1]);
    expect(helper, out).toBeGreaterThan(0);
    expect(await goneWithin(helper, 5_000)).toBe(true);
  });

  it('runs several children at once through the one helper', async () => {
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map((n) => runProcess(`sleep 0.2; exit ${n}`, [], { shell: true, timeoutMs: 30_000 })));
    expect(outcomes.map((o) => o.exitCode)).toEqual([1, 2, 3, 4, 5]);
  });
});

/** A pid a child wrote to `file`, once it is there. */
async function waitForNumber(file: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (value > 0) return value;
    if (Date.now() > deadline) throw new Error(`${file} was not written`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether `pid` is gone (or a zombie about to be reaped by init) within `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && !(await isZombie(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid) || (await isZombie(pid));
}

async function isZombie(pid: number): Promise<boolean> {
  try {
    return /^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
