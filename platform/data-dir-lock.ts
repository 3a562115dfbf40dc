import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isSameProcessAlive, processStartTicks } from './process-liveness.js';

/**
 * One owner per data directory: `npm start`, or a CLI / worker process that opened the embedded database itself.
 * Two owners would open `.data/pglite` twice, and PGlite has no locking of its own, so rows written through one are
 * lost or duplicated in the other (issue 11, item 1).
 *
 * The lock is `<dataDir>/sentinel.lock`, created with O_EXCL and holding the owner's pid, its /proc start time and
 * when it started. A lock whose owner is gone (SIGKILL runs no cleanup) or whose pid now belongs to another process
 * is stale and is taken over. Why not proper-lockfile: it judges staleness by an mtime its owner must keep touching
 * (a timer in every process, and a busy or suspended owner loses its lock), while the pid and start time here say
 * exactly whether the owner lives; and it is not installed.
 *
 * Taking over a stale lock happens under a second O_EXCL file (`sentinel.lock.break`), so of two processes that
 * both saw the stale lock only one removes it and the other cannot remove the lock the first then created.
 */
export interface LockHolder {
  pid: number;
  startTicks?: string | undefined;
  /** ISO time the holder started. */
  startedAt: string;
  /** What holds it: `npm start`, `sentinel history import`, ... */
  role: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `another Backup Sentinel is running (pid ${holder.pid}, started ${holder.startedAt}): ${holder.role || 'a process'} holds the data directory ${dataDir}`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  holder: LockHolder;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

const lockFileIn = (dataDir: string) => path.join(dataDir, 'sentinel.lock');
/** A break file older than this was left by a process killed in the microseconds it holds one. */
const STALE_BREAK_MS = 10_000;

/** The live holder of the data directory's lock, if any (a stale or unreadable lock file has none). */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(lockFileIn(dataDir));
  return holder && isSameProcessAlive(holder.pid, holder.startTicks) ? holder : undefined;
}

/** Takes the lock or throws DataDirLockedError naming the live holder. */
export async function acquireDataDirLock(dataDir: string, role: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = lockFileIn(dataDir);
  const holder: LockHolder = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    role,
  };
  for (let tries = 0; ; tries++) {
    if (createExclusive(file, JSON.stringify(holder))) break;
    const current = readHolder(file);
    if (current && isSameProcessAlive(current.pid, current.startTicks)) {
      if (current.pid === process.pid) throw new Error(`this process already holds the lock on ${dataDir}`);
      throw new DataDirLockedError(dataDir, current);
    }
    if (tries >= 20) throw new Error(`cannot take the lock ${file}: it keeps changing`);
    breakStaleLock(file, current);
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const exitHook = () => release();
  let released = false;
  function release() {
    if (released) return;
    released = true;
    process.removeListener('exit', exitHook);
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
  }
  // A normal exit (also process.exit) releases it; SIGKILL leaves a stale lock, which the next owner takes over.
  process.on('exit', exitHook);
  return { holder, release };
}

function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.startedAt !== 'string') return undefined;
    return {
      pid: parsed.pid,
      startTicks: typeof parsed.startTicks === 'string' ? parsed.startTicks : undefined,
      startedAt: parsed.startedAt,
      role: typeof parsed.role === 'string' ? parsed.role : '',
    };
  } catch {
    return undefined;
  }
}

/** Removes `file` if it still holds what was seen as stale (`seen`; undefined: empty or unreadable). */
function breakStaleLock(file: string, seen: LockHolder | undefined): void {
  const breakFile = `${file}.break`;
  if (!createExclusive(breakFile, String(process.pid))) {
    try {
      if (Date.now() - statSync(breakFile).mtimeMs > STALE_BREAK_MS) rmSync(breakFile, { force: true });
    } catch {
      // removed meanwhile
    }
    return; // someone else is breaking it: try again
  }
  try {
    const now = readHolder(file);
    const unchanged = JSON.stringify(now) === JSON.stringify(seen);
    // An unreadable file may be a lock being written right now: only an old one is taken for garbage.
    const oldGarbage = seen === undefined && now === undefined && ageMs(file) > STALE_BREAK_MS;
    if ((seen !== undefined && unchanged) || oldGarbage) rmSync(file, { force: true });
  } finally {
    rmSync(breakFile, { force: true });
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}
