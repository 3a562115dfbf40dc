import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, lockHolder } from '../../../platform/data-dir-lock.js';
import { openDatabase } from '../../../platform/database.js';
import { readEnv } from '../../../platform/env.js';
import { processStartTicks } from '../../../platform/process-liveness.js';
import { readRuntimeInfo, removeRuntimeInfo, writeRuntimeInfo } from '../../../platform/runtime-file.js';

// Real processes stand in for other owners: a live `sleep` is a running holder, an exited one a SIGKILLed holder.
let dir: string;
const children: ChildProcess[] = [];

const sleeper = () => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
};
const exitedPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn('true', [], { stdio: 'ignore' });
    child.once('exit', () => resolve(child.pid!));
  });
const lockFile = () => path.join(dir, 'sentinel.lock');
const writeLock = (holder: object) => writeFileSync(lockFile(), JSON.stringify(holder));

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-lock-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the data directory lock', () => {
  it('refuses a second owner, naming the live holder, until the first releases it', async () => {
    const pid = sleeper();
    writeLock({ pid, startTicks: processStartTicks(pid), startedAt: '2026-12-01T10:00:00.000Z', role: 'npm start' });
    const error = await acquireDataDirLock(dir, 'test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toBe(
      `another Backup Sentinel is running (pid ${pid}, started 2026-12-01T10:00:00.000Z): npm start holds the data directory ${dir}`,
    );
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(pid); // not touched
  });

  it('takes over the lock of a dead holder (SIGKILL runs no cleanup) and of a reused pid', async () => {
    writeLock({ pid: await exitedPid(), startedAt: '2026-12-01T10:00:00.000Z', role: 'npm start' });
    const first = await acquireDataDirLock(dir, 'test');
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid, role: 'test' });
    first.release();
    expect(existsSync(lockFile())).toBe(false);
    // A live process with the recorded pid but another start time is not the holder: the pid was reused.
    writeLock({ pid: sleeper(), startTicks: '1', startedAt: '2026-12-01T10:00:00.000Z', role: 'npm start' });
    const second = await acquireDataDirLock(dir, 'test');
    expect(lockHolder(dir)?.pid).toBe(process.pid);
    second.release();
  });

  it('release removes only a lock that is still its own', async () => {
    const lock = await acquireDataDirLock(dir, 'test');
    const pid = sleeper();
    writeLock({ pid, startTicks: processStartTicks(pid), startedAt: '2026-12-01T10:00:00.000Z', role: 'npm start' });
    lock.release();
    expect(lockHolder(dir)?.pid).toBe(pid);
  });
});

describe('runtime.json and the lock', () => {
  it('counts only while its writer holds the lock, and a process that did not write it never removes it', async () => {
    const pid = sleeper();
    await writeRuntimeInfo(dir, { pid, temporalAddress: '127.0.0.1:1', databaseUrl: 'postgres://postgres@127.0.0.1:2/postgres' });
    expect(await readRuntimeInfo(dir)).toBeUndefined(); // no lock: a leftover
    writeLock({ pid, startTicks: processStartTicks(pid), startedAt: '2026-12-01T10:00:00.000Z', role: 'npm start' });
    expect((await readRuntimeInfo(dir))?.databaseUrl).toBe('postgres://postgres@127.0.0.1:2/postgres');
    await removeRuntimeInfo(dir);
    expect(existsSync(path.join(dir, 'runtime.json'))).toBe(true);
  });

  it('openDatabase refuses to open the embedded database under a live service whose runtime.json is missing', async () => {
    const pid = sleeper();
    writeLock({ pid, startTicks: processStartTicks(pid), startedAt: '2026-12-01T10:00:00.000Z', role: 'npm start' });
    const env = { ...readEnv({ SENTINEL_DATA_DIR: dir }), databaseUrl: undefined };
    const error = await openDatabase(env).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^another Backup Sentinel is running \\(pid ${pid}, started 2026-12-01T10:00:00.000Z\\): npm start holds .*runtime\\.json does not say where its database listens.*set DATABASE_URL\\.$`,
      ),
    );
    expect(existsSync(path.join(dir, 'pglite'))).toBe(false);
  });
});
