/**
 * `sentinel config verify`: re-reads and authenticates every payload any item references (and checks it still
 * hashes to its address), and opens every sealed file-attribute envelope. Each failure names the payload and the
 * items that depend on it. Objects no item references are listed as orphans (the next run's cleanup removes them).
 */
import type pg from 'pg';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import type { Keyring } from '../../../domain/config-backup/keyring.js';
import { payloadReferences, referencedHashes } from '../../../db/repositories/config-backups.js';
import type { PayloadStore } from '../store/payload-store.js';
import { describeLoadError } from './restore-item.js';

export interface VerifyFailure {
  kind: 'payload' | 'file-attributes';
  /** Payload address (payload failures). */
  hash?: string;
  /** Items affected: `#id type name`. */
  items: string[];
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  payloadsChecked: number;
  envelopesChecked: number;
  itemsChecked: number;
  plaintextBytes: number;
  failures: VerifyFailure[];
  orphans: string[];
}

/** An unknown key id almost always means CONFIG_BACKUP_KEY is not the key the backups were made with. */
function withKeyHint(reason: string): string {
  return /unknown key id/.test(reason) ? `${reason}: wrong CONFIG_BACKUP_KEY?` : reason;
}

export async function verifyBackups(db: pg.Pool, keyring: Keyring, store: PayloadStore, options: { concurrency?: number } = {}): Promise<VerifyReport> {
  const refs = await payloadReferences(db);
  const byHash = new Map<string, string[]>();
  for (const ref of refs) {
    const list = byHash.get(ref.contentHash) ?? [];
    list.push(`#${ref.id} ${ref.type} ${ref.name}`);
    byHash.set(ref.contentHash, list);
  }
  const hashes = [...byHash.keys()];
  const results = await store.verifyAll(keyring, hashes, options.concurrency ?? 8);
  const failures: VerifyFailure[] = [];
  let plaintextBytes = 0;
  const missing: string[] = [];
  for (const result of results) {
    if (result.ok) plaintextBytes += result.plaintextBytes;
    else if (result.reason === 'missing') missing.push(result.hash);
    else failures.push({ kind: 'payload', hash: result.hash, items: byHash.get(result.hash)!, reason: withKeyHint(result.reason) });
  }
  // A prune may have dropped the last reference (and then the object) while we were reading: not a failure.
  if (missing.length > 0) {
    const stillReferenced = await referencedHashes(db);
    const unreadable = [...(await store.unreadablePacks()).values()];
    const reason = `payload is missing from ${store.dir}${unreadable.length > 0 ? ` (unreadable pack files: ${unreadable.join('; ')})` : ''}`;
    for (const hash of missing) {
      if (stillReferenced.has(hash)) failures.push({ kind: 'payload', hash, items: byHash.get(hash)!, reason });
    }
  }

  // Unchanged files share their envelope with earlier snapshots: open each distinct envelope once.
  const envelopes = new Map<string, { name: string; items: string[] }>();
  for (const ref of refs) {
    if (!ref.metadataEnvelope) continue;
    const key = `${ref.name}\u0000${ref.metadataEnvelope.toString('base64')}`;
    const entry = envelopes.get(key) ?? { name: ref.name, items: [] };
    entry.items.push(`#${ref.id} ${ref.type} ${ref.name}`);
    envelopes.set(key, entry);
  }
  for (const [key, entry] of envelopes) {
    try {
      openFileMetadata(keyring, entry.name, Buffer.from(key.slice(key.indexOf('\u0000') + 1), 'base64'));
    } catch (error) {
      failures.push({ kind: 'file-attributes', items: entry.items, reason: describeLoadError(error) });
    }
  }

  const referenced = new Set(hashes);
  const orphans = (await store.list()).filter((hash) => !referenced.has(hash));
  return {
    ok: failures.length === 0,
    payloadsChecked: hashes.length,
    envelopesChecked: envelopes.size,
    itemsChecked: refs.length,
    plaintextBytes,
    failures,
    orphans,
  };
}
