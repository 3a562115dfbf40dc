/**
 * File attributes needed for an exact restore (mode, owner, mtime, size), sealed per file.
 *
 * The payload object holds the file's bytes only, so identical content under two paths (or after a `touch`) is
 * stored once; the attributes travel in this small envelope bound to `file:<path>`, which the metadata row keeps.
 * Uses node:crypto through crypto.ts: activities only.
 */
import { fileContext } from './contexts.js';
import { openEnvelope, sealEnvelope } from './crypto.js';
import { ConfigCryptoError } from './errors.js';
import type { Keyring } from './keyring.js';
import type { RandomBytes } from './types.js';

export interface FileMetadata {
  size: number;
  /** Permission bits incl. setuid/setgid/sticky (`stat.mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /**
   * Milliseconds since the epoch as `stat().mtimeMs` reports it. Restores are exact to well under a microsecond,
   * not to the nanosecond: Node's utimes takes seconds as a double.
   */
  mtimeMs: number;
}

const FIELDS: readonly (keyof FileMetadata)[] = ['size', 'mode', 'uid', 'gid', 'mtimeMs'];

export function sealFileMetadata(keyring: Keyring, path: string, metadata: FileMetadata, randomBytes: RandomBytes): Buffer {
  const plain = Object.fromEntries(FIELDS.map((field) => [field, metadata[field]]));
  return sealEnvelope(keyring, fileContext(path), Buffer.from(JSON.stringify({ v: 1, ...plain }), 'utf8'), randomBytes);
}

export function openFileMetadata(keyring: Keyring, path: string, envelope: Uint8Array): FileMetadata {
  const parsed = JSON.parse(openEnvelope(keyring, envelope, fileContext(path)).toString('utf8')) as Record<string, unknown>;
  const metadata = {} as FileMetadata;
  for (const field of FIELDS) {
    const value = parsed[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ConfigCryptoError('MALFORMED', `metadata of ${fileContext(path)} lacks a numeric "${field}"`);
    }
    metadata[field] = value;
  }
  return metadata;
}
