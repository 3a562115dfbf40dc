import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isSameProcessAlive, killGroupAndWait, processStartTicks } from '../../platform/process-liveness.js';

/**
 * Which backup processes run, so a retry never runs next to the attempt before it (issue 11, item 5). A worker
 * killed by SIGKILL runs no handler, and its backup command or pg_dump lives on in its own process group; Temporal
 * retries the activity after the heartbeat timeout, and without this the retry would start a second copy.
 *
 * Each attempt records its process group in `<backupDir>/.running/<target>/<artifactName>.json` with the group
 * leader's and the worker's pid and /proc start time (pids are reused) and the host. Before an attempt starts, it
 * kills and waits out, on this host: an earlier attempt of the same backup (same artifact name, whatever its
 * worker's state: a retry means the server gave up on it), and any attempt for the target whose worker is dead
 * (an orphan of another run). An attempt of another run on a live worker is left alone. Records of other hosts
 * (a BACKUP_DIR shared over the network) cannot be checked from here and are left too.
 */
export interface AttemptRecord {
  pgid: number;
  leaderStartTicks?: string | undefined;
  workerPid: number;
  workerStartTicks?: string | undefined;
  host: string;
  artifactName: string;
  startedAt: string;
}

export interface StoppedAttempt {
  pgid: number;
  artifactName: string;
  startedAt: string;
}

const dirFor = (backupDir: string, target: string) => path.join(backupDir, '.running', target);

/** The file the attempt for `artifactName` records its process group in. */
export function attemptFile(backupDir: string, target: string, artifactName: string): string {
  return path.join(dirFor(backupDir, target), `${artifactName}.json`);
}

/** Kills (SIGTERM, then SIGKILL) and waits out what must not run next to a new attempt; returns what it stopped. */
export async function stopEarlierAttempts(backupDir: string, target: string, artifactName: string, tick?: () => void): Promise<StoppedAttempt[]> {
  const dir = dirFor(backupDir, target);
  const stopped: StoppedAttempt[] = [];
  for (const name of await inFolder(dir, () => readdir(dir))) {
    if (name.endsWith('.tmp')) {
      await removeIfStale(path.join(dir, name));
      continue;
    }
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    const record = await readRecord(file);
    if (!record) {
      await rm(file, { force: true }); // torn write of a killed worker: its group cannot be known
      continue;
    }
    if (record.host !== os.hostname()) continue;
    const sameBackup = record.artifactName === artifactName;
    if (!sameBackup && isSameProcessAlive(record.workerPid, record.workerStartTicks)) continue;
    if (await killGroupAndWait(record.pgid, record.leaderStartTicks, { graceMs: 5_000, timeoutMs: 60_000, ...(tick ? { tick } : {}) })) {
      stopped.push({ pgid: record.pgid, artifactName: record.artifactName, startedAt: record.startedAt });
    }
    await rm(file, { force: true });
  }
  return stopped;
}

/** Records a just-spawned attempt's process group (its leader is the child: spawned with `detached: true`). */
export async function recordAttempt(file: string, pgid: number, artifactName: string): Promise<void> {
  const record: AttemptRecord = {
    pgid,
    leaderStartTicks: processStartTicks(pgid),
    workerPid: process.pid,
    workerStartTicks: processStartTicks(process.pid),
    host: os.hostname(),
    artifactName,
    startedAt: new Date().toISOString(),
  };
  // Written aside and renamed into place: a concurrent stopEarlierAttempts must never read a half-written record
  // (it would take it for a killed worker's torn write and delete it). The temporary name does not end in .json, so
  // no one lists it; while it exists the folder is not empty, so no concurrent forgetAttempt removes the folder.
  const temporary = `${file}.${randomUUID()}.tmp`;
  await inFolder(path.dirname(file), async () => {
    await writeFile(temporary, JSON.stringify(record));
    await rename(temporary, file);
  });
}

/** A record being written is renamed into place within milliseconds; one older than this lost its writer. */
const STALE_TEMPORARY_MS = 60_000;

/** Removes the temporary file of a record write whose worker died between the write and the rename. */
async function removeIfStale(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info && Date.now() - info.mtimeMs > STALE_TEMPORARY_MS) await rm(file, { force: true });
}

/**
 * Runs `op` in `dir`, creating it first. Concurrent backups of one target share the folder, and forgetAttempt
 * removes it once empty: between this attempt's mkdir and its readdir or write another attempt may have removed it
 * (ENOENT, seen with 200 gate runs of one target at once in `npm run bench`), so it is created again and `op` retried.
 */
async function inFolder<T>(dir: string, op: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      await mkdir(dir, { recursive: true });
      return await op();
    } catch (error) {
      // Node's recursive mkdir reports a folder removed under it as ENOTDIR; a real file in the way fails 20 times.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || tries >= 20) throw error;
    }
  }
}

/** Removes the record once the attempt's process has exited, if it is still this attempt's. */
export async function forgetAttempt(file: string, pgid: number): Promise<void> {
  if ((await readRecord(file))?.pgid !== pgid) return;
  await rm(file, { force: true });
  // Leave no empty folders behind in BACKUP_DIR (they would cost a block on some filesystems).
  for (const dir of [path.dirname(file), path.dirname(path.dirname(file))]) await rmdir(dir).catch(() => undefined);
}

async function readRecord(file: string): Promise<AttemptRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as AttemptRecord;
    return typeof record.pgid === 'number' && typeof record.workerPid === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}
