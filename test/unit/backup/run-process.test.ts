/**
 * runProcess starts children on its spawn thread (activities/backup/spawn-thread.ts) so the synchronous spawn does
 * not hold the worker's event loop: real child processes, outside an activity (no heartbeats).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../../activities/backup/process.js';

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
    const deadline = Date.now() + 5_000;
    while (alive(background) && !(await isZombie(background)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(!alive(background) || (await isZombie(background))).toBe(true);
  });

  it('runs several children at once on the one spawn thread', async () => {
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map((n) => runProcess(`sleep 0.2; exit ${n}`, [], { shell: true, timeoutMs: 30_000 })));
    expect(outcomes.map((o) => o.exitCode)).toEqual([1, 2, 3, 4, 5]);
  });
});

async function isZombie(pid: number): Promise<boolean> {
  try {
    return /^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
