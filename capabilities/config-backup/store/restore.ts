/**
 * Writes a restored configuration file: crash-safely (temp file, fsync, atomic rename/link, directory fsync), with
 * its recorded mode and mtime, and its owner when running as root and asked to. An existing file is never
 * overwritten unless `force` is set; without `force` the final step is an atomic no-clobber link, so a file that
 * appears between the check and the write is not clobbered either.
 */
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveRestorePath } from '../../../domain/config-backup/paths.js';
import { commitIfAbsent, commitReplacing, DirectorySyncer, writeSyncedTempFile } from './durable-fs.js';
import { checkNoSymlinkEscape } from './fs-safety.js';
import { createDirectories } from './restore-target.js';

export interface RestoreFileOptions {
  /** Absolute directory the destination must stay inside (`/` to restore in place anywhere). */
  root: string;
  /** Relative to `root`, or absolute inside it. */
  destination: string;
  bytes: Uint8Array;
  /** Permission bits to set (default 0o600). */
  mode?: number;
  /** Modification time to set (default: left at "now"). */
  mtimeMs?: number;
  uid?: number;
  gid?: number;
  /** Restore uid/gid; only honoured when the process runs as root. */
  restoreOwner?: boolean;
  /** Replace an existing file. Default false. */
  force?: boolean;
  /** Create missing parent directories inside the root. Default true. */
  createParents?: boolean;
}

export type RestoreFileResult =
  | { ok: true; path: string; bytesWritten: number; ownerRestored: boolean }
  | { ok: false; path: string; code: 'unsafe-path' | 'exists' | 'io-error'; reason: string };

const syncer = new DirectorySyncer();

export async function restoreFile(options: RestoreFileOptions): Promise<RestoreFileResult> {
  const requested = options.destination;
  const lexical = resolveRestorePath(options.root, requested);
  if (!lexical.ok) return { ok: false, path: requested, code: 'unsafe-path', reason: lexical.reason };
  const safe = await checkNoSymlinkEscape(options.root, lexical.path);
  if (!safe.ok) return { ok: false, path: lexical.path, code: 'unsafe-path', reason: safe.reason };
  const path = safe.path;

  if (!options.force && (await exists(path))) {
    return { ok: false, path, code: 'exists', reason: `${path} already exists (use force to overwrite)` };
  }
  const canChown = options.restoreOwner === true && process.getuid?.() === 0;
  try {
    if (options.createParents ?? true) {
      const firstCreated = await createDirectories(dirname(path));
      // New directories are entries in their parents: make those durable too.
      if (firstCreated !== undefined) await syncer.sync(dirname(firstCreated));
    }
    const tempPath = await writeSyncedTempFile(path, options.bytes, {
      prepare: async (handle) => {
        // chown first: it clears setuid/setgid bits, which the chmod below puts back.
        if (canChown && options.uid !== undefined && options.gid !== undefined) await handle.chown(options.uid, options.gid);
        await handle.chmod((options.mode ?? 0o600) & 0o7777);
        if (options.mtimeMs !== undefined) await handle.utimes(new Date(), options.mtimeMs / 1000);
      },
    });
    if (options.force) {
      await commitReplacing(tempPath, path, (dir) => syncer.sync(dir));
    } else if (!(await commitIfAbsent(tempPath, path, (dir) => syncer.sync(dir)))) {
      return { ok: false, path, code: 'exists', reason: `${path} already exists (use force to overwrite)` };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Errno errors get their code only; ours (directory creation, read-back) already say what went wrong.
    return { ok: false, path, code: 'io-error', reason: `${path}: restore failed${code ? ` (${code})` : `: ${(error as Error).message}`}` };
  }
  return { ok: true, path, bytesWritten: options.bytes.length, ownerRestored: canChown && options.uid !== undefined };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
