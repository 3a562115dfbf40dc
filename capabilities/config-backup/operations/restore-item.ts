/**
 * Restores one backed-up item. The payload is authenticated and checked against its address before anything is
 * written, so a tampered or truncated payload is refused, never half-restored.
 *
 *  - file: the original bytes with their mode and mtime (and owner with `restoreOwner` when running as root), in
 *    place, or with `to` below that directory keeping the original path (`/etc/app.yaml` -> `<to>/etc/app.yaml`);
 *  - env: a `.env` file `env-<PREFIX>.env` (mode 0600) in `to` (default: the working directory);
 *  - app: the config as JSON, `app-<name>.json` (mode 0600) in `to` (default: the working directory).
 *
 * An existing file is never replaced without `force`; destinations that escape the target directory (`..`,
 * symlinks) are refused.
 */
import path from 'node:path';
import { ConfigCryptoError } from '../../../domain/config-backup/errors.js';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import type { Keyring } from '../../../domain/config-backup/keyring.js';
import { rebaseUnderTarget } from '../../../domain/config-backup/paths.js';
import type { ItemRow } from '../../../db/repositories/config-backups.js';
import type { PayloadStore } from '../store/payload-store.js';
import { loadPayload } from '../store/payloads.js';
import { restoreFile } from '../store/restore.js';
import { prepareRestoreDirectory } from '../store/restore-target.js';
import { toDotenv } from '../run/dotenv-text.js';

export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

export interface RestoreOptions {
  /** Target directory; in place (files) or the working directory (env, app) when absent. */
  to?: string;
  force?: boolean;
  restoreOwner?: boolean;
  cwd?: string;
}

export interface RestoreReport {
  id: number;
  type: ItemRow['type'];
  name: string;
  path: string;
  bytes: number;
  mode: string;
  mtime: string;
  ownerRestored: boolean;
}

export async function restoreItem(keyring: Keyring, store: PayloadStore, item: ItemRow, options: RestoreOptions = {}): Promise<RestoreReport> {
  const label = `item ${item.id} (${item.type} ${item.name})`;
  if (item.status === 'failed' || !item.contentHash)
    throw new RestoreRefusedError(`${label} failed to back up (${item.failureReason ?? 'no payload'}); nothing to restore`);
  let payload: Buffer;
  try {
    payload = await loadPayload(store, keyring, item.contentHash);
  } catch (error) {
    throw new RestoreRefusedError(`refusing to restore ${label}: ${describeLoadError(error)}`);
  }

  const cwd = options.cwd ?? process.cwd();
  let root: string;
  let destination: string;
  let bytes: Buffer;
  let mode = 0o600;
  let mtimeMs = item.backedUpAt.getTime();
  let uid: number | undefined;
  let gid: number | undefined;
  if (item.type === 'file') {
    if (!item.metadataEnvelope) throw new RestoreRefusedError(`refusing to restore ${label}: its file attributes are missing`);
    let metadata;
    try {
      metadata = openFileMetadata(keyring, item.name, item.metadataEnvelope);
    } catch (error) {
      throw new RestoreRefusedError(`refusing to restore ${label}: file attributes: ${describeLoadError(error)}`);
    }
    ({ mode, mtimeMs, uid, gid } = metadata);
    bytes = payload;
    if (options.to === undefined) {
      root = '/';
      destination = item.name;
    } else {
      root = path.resolve(cwd, options.to);
      const rebased = rebaseUnderTarget(root, item.name);
      if (!rebased.ok) throw new RestoreRefusedError(`refusing to restore ${label}: ${rebased.reason}`);
      destination = rebased.path;
    }
  } else {
    root = path.resolve(cwd, options.to ?? '.');
    const values = JSON.parse(payload.toString('utf8')) as Record<string, string>;
    if (item.type === 'env') {
      destination = `env-${item.name.replace(/_+$/, '') || 'vars'}.env`;
      bytes = Buffer.from(toDotenv(values), 'utf8');
    } else {
      destination = `app-${item.name}.json`;
      bytes = Buffer.from(`${JSON.stringify(values, null, 2)}\n`, 'utf8');
    }
  }

  if (options.to !== undefined) {
    const target = await prepareRestoreDirectory(root);
    if (!target.ok) throw new RestoreRefusedError(`refusing to restore ${label}: ${target.reason}`);
  }
  const written = await restoreFile({
    root,
    destination,
    bytes,
    mode,
    mtimeMs,
    uid,
    gid,
    restoreOwner: options.restoreOwner ?? false,
    force: options.force ?? false,
  });
  if (!written.ok) {
    const hint = written.code === 'exists' ? `${written.path} already exists (use --force to overwrite)` : written.reason;
    throw new RestoreRefusedError(`refusing to restore ${label}: ${hint}`);
  }
  return {
    id: item.id,
    type: item.type,
    name: item.name,
    path: written.path,
    bytes: written.bytesWritten,
    mode: `0${(mode & 0o7777).toString(8)}`,
    mtime: new Date(mtimeMs).toISOString(),
    ownerRestored: written.ownerRestored,
  };
}

/** Crypto errors already say what happened without content; a missing object names its address. */
export function describeLoadError(error: unknown): string {
  if (error instanceof ConfigCryptoError) {
    if (error.code === 'UNKNOWN_KEY_ID') return `${error.message}: wrong CONFIG_BACKUP_KEY?`;
    return error.message;
  }
  return (error as Error).message;
}
