/**
 * Reads one configuration file for backup. Never throws for a problem with the file itself: a missing,
 * unreadable, oversized or binary file comes back as `{ ok: false, path, reason }` so it fails alone and the
 * rest of the run goes on.
 *
 * Symlinks are followed (config trees such as nginx `sites-enabled` are made of them); the target's bytes and
 * attributes are what gets backed up. The size limit is checked on the open handle and again while reading, so a
 * file that grows between stat and read cannot slip past it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileMetadata } from '../../../domain/config-backup/file-metadata.js';

/** Default per-file limit: configuration files beyond 10 MiB are almost certainly not configuration. */
export const DEFAULT_MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;

export interface ReadConfigFileOptions {
  /** Default `DEFAULT_MAX_CONFIG_FILE_BYTES`. */
  maxBytes?: number;
  /** Accept files containing NUL bytes. Default false (NUL means binary, not configuration). */
  allowBinary?: boolean;
}

export type ReadFailureCode = 'not-found' | 'permission-denied' | 'not-a-file' | 'too-large' | 'binary' | 'io-error';

export type ReadConfigFileResult =
  | { ok: true; path: string; bytes: Buffer; metadata: FileMetadata }
  | { ok: false; path: string; code: ReadFailureCode; reason: string };

export async function readConfigFile(path: string, options: ReadConfigFileOptions = {}): Promise<ReadConfigFileResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CONFIG_FILE_BYTES;
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    return describeOpenError(path, error);
  }
  try {
    const info = await handle.stat();
    const refused = refuseBeforeRead(path, info, maxBytes);
    if (refused) return refused;
    // Read up to one byte past the limit to notice growth since the stat.
    const buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return failWith(path)('too-large', tooLarge(path, length, maxBytes));
      if (length === buffer.length) break;
    }
    return accept(path, buffer.subarray(0, length), info, options);
  } catch (error) {
    return readError(path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * `readConfigFile` with blocking calls, for the parse threads (run/stage-file.ts): a thread has no event loop to
 * keep responsive, and four promise round trips per file cost more CPU than reading a 10 KB file.
 */
export function readConfigFileSync(path: string, options: ReadConfigFileOptions = {}): ReadConfigFileResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CONFIG_FILE_BYTES;
  let fd;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return describeOpenError(path, error);
  }
  try {
    const info = fstatSync(fd);
    const refused = refuseBeforeRead(path, info, maxBytes);
    if (refused) return refused;
    const buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return failWith(path)('too-large', tooLarge(path, length, maxBytes));
      if (length === buffer.length) break;
    }
    return accept(path, buffer.subarray(0, length), info, options);
  } catch (error) {
    return readError(path, error);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing to do: the descriptor is gone either way.
    }
  }
}

// O_NONBLOCK: opening a FIFO must not hang the run; it has no effect on regular files.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

type Fail = (code: ReadFailureCode, reason: string) => ReadConfigFileResult;

function failWith(path: string): Fail {
  return (code, reason) => ({ ok: false, path, code, reason });
}

function refuseBeforeRead(path: string, info: Stats, maxBytes: number): ReadConfigFileResult | null {
  if (!info.isFile()) return failWith(path)('not-a-file', `${path} is not a regular file`);
  if (info.size > maxBytes) return failWith(path)('too-large', tooLarge(path, info.size, maxBytes));
  return null;
}

function accept(path: string, bytes: Buffer, info: Stats, options: ReadConfigFileOptions): ReadConfigFileResult {
  if (!options.allowBinary && bytes.includes(0)) return failWith(path)('binary', `${path} looks binary (contains NUL bytes)`);
  return {
    ok: true,
    path,
    bytes,
    metadata: { size: bytes.length, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, mtimeMs: info.mtimeMs },
  };
}

function readError(path: string, error: unknown): ReadConfigFileResult {
  const code = (error as NodeJS.ErrnoException).code;
  return failWith(path)('io-error', `${path}: read failed${code ? ` (${code})` : ''}`);
}

function tooLarge(path: string, size: number, maxBytes: number): string {
  return `${path} is too large (${size} bytes; limit ${maxBytes} bytes)`;
}

function describeOpenError(path: string, error: unknown): ReadConfigFileResult {
  const fail = failWith(path);
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return fail('not-found', `${path} does not exist`);
    case 'EACCES':
    case 'EPERM':
      return fail('permission-denied', `${path}: permission denied`);
    case 'EISDIR':
      return fail('not-a-file', `${path} is a directory`);
    case 'ELOOP':
      return fail('not-a-file', `${path}: too many levels of symbolic links`);
    default:
      return fail('io-error', `${path}: cannot open${code ? ` (${code})` : ''}`);
  }
}
