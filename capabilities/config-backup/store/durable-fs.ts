/**
 * Crash-safe file writing: write a temp file in the destination directory, fsync it, read it back, then rename
 * (or link, to refuse overwriting) it into place and fsync the directory so the new name survives a power loss.
 *
 * Directory fsyncs are coalesced: concurrent writers into the same directory share one fsync that starts after
 * all of their renames, which keeps a 2,000-file backup from turning into 2,000 serial directory syncs while every
 * caller still returns only once its own rename is durable.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Every temp file this module creates starts with this, so cleanup passes can recognise stale ones. */
export const TEMP_PREFIX = '.tmp-';

export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `${TEMP_PREFIX}${basename(finalPath)}.${randomBytes(6).toString('hex')}`);
}

export interface TempFileOptions {
  /** Sets mode/owner/times on the open handle before the fsync (restore). */
  prepare?: (handle: FileHandle) => Promise<void>;
  /** Read the bytes back through the same handle after the fsync and compare (default true). */
  verify?: boolean;
}

/** How a committed name is made durable: fsync its directory now, or record it for a later batch flush. */
export type SyncDirectory = (dir: string) => Promise<void>;

/**
 * Writes `bytes` to a new exclusive temp file (mode 0o600) next to `finalPath`, fsyncs it, reads it back and
 * closes it. Returns the temp path; on any failure the temp file is removed.
 */
export async function writeSyncedTempFile(finalPath: string, bytes: Uint8Array, options: TempFileOptions = {}): Promise<string> {
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, offset);
      offset += bytesWritten;
    }
    if (options.prepare) await options.prepare(handle);
    await handle.sync();
    if (options.verify ?? true) await verifyContent(handle, bytes, finalPath);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return tempPath;
}

async function verifyContent(handle: FileHandle, expected: Uint8Array, finalPath: string): Promise<void> {
  const landed = Buffer.allocUnsafe(expected.length + 1);
  let length = 0;
  for (;;) {
    const { bytesRead } = await handle.read(landed, length, landed.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length === landed.length) break;
  }
  if (length !== expected.length || !landed.subarray(0, length).equals(expected)) {
    throw new Error(`${finalPath}: read-back after write differs from what was written`);
  }
}

/** Renames the temp file over `finalPath` (replacing whatever is there). */
export async function commitReplacing(tempPath: string, finalPath: string, syncDirectory: SyncDirectory): Promise<void> {
  try {
    await rename(tempPath, finalPath);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(finalPath));
}

/**
 * Gives the temp file its final name only if that name is free (atomic hard link). Returns false, leaving
 * nothing behind, when `finalPath` already exists.
 */
export async function commitIfAbsent(tempPath: string, finalPath: string, syncDirectory: SyncDirectory): Promise<boolean> {
  try {
    await link(tempPath, finalPath);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await unlink(tempPath);
  await syncDirectory(dirname(finalPath));
  return true;
}

/** Group-commit fsync of directories (see module comment). */
export class DirectorySyncer {
  private readonly states = new Map<string, { running: Promise<void> | null; pending: Promise<void> | null }>();

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void> {
    let state = this.states.get(dir);
    if (!state) {
      state = { running: null, pending: null };
      this.states.set(dir, state);
    }
    const current = state;
    const run = (): Promise<void> => {
      const running: Promise<void> = fsyncDirectory(dir).finally(() => {
        if (current.running === running) current.running = null;
      });
      current.running = running;
      return running;
    };
    // Not started yet, so it will cover our rename: share it.
    if (current.pending) return current.pending;
    if (!current.running) return run();
    // The one in flight may have started before our rename: queue one fresh sync that every caller arriving
    // meanwhile shares.
    const pending = current.running
      .catch(() => undefined)
      .then(() => {
        current.pending = null;
        return run();
      });
    current.pending = pending;
    return pending;
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
