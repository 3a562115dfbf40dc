/**
 * `sentinel config rotate-key`: moves every payload and every sealed file-attribute envelope to the keyring's
 * active key, under the backup lock. Payloads are content-addressed by a keyed hash, so a rotated payload gets a
 * new address: new objects are written and made durable first, then item rows are repointed in one transaction,
 * then the old objects are removed. Interrupted at any point, every row still points at a readable payload.
 *
 * Keys are checked against the store's key check values first (capabilities/config-backup/run/key-check.ts).
 *
 * Redacted views keep the markers of the key that made them (they hold no ciphertext); the next backup run builds
 * fresh views for items whose view came from another key.
 */
import pMap from 'p-map';
import type pg from 'pg';
import { fileContext } from '../../../domain/config-backup/contexts.js';
import { inspectEnvelope, reencryptEnvelope } from '../../../domain/config-backup/crypto.js';
import type { Keyring } from '../../../domain/config-backup/keyring.js';
import { inTransaction } from '../../../db/pool.js';
import {
  payloadReferences,
  referencedHashes,
  renewConfigBackupLock,
  replaceMetadataEnvelopes,
  repointPayloads,
} from '../../../db/repositories/config-backups.js';
import type { PayloadStore } from '../store/payload-store.js';
import { rotatePayload, systemRandomBytes } from '../store/payloads.js';
import { withConfigBackupLock } from '../run/exclusive.js';
import { checkKeyringAgainstStore, claimActiveKey } from '../run/key-check.js';

export interface RotateReport {
  activeKeyId: string;
  payloads: { total: number; rotated: number; alreadyCurrent: number; bytesWritten: number };
  envelopes: { total: number; rotated: number };
  itemsRepointed: number;
  oldPayloadsRemoved: number;
}

export async function rotateKey(db: pg.Pool, keyring: Keyring, store: PayloadStore, options: { concurrency?: number } = {}): Promise<RotateReport> {
  return withConfigBackupLock(db, 'rotate-key', async (lock) => {
    // Every key must be the one that wrote under its id, before anything is re-encrypted; the new one is recorded.
    await checkKeyringAgainstStore(db, keyring, store);
    await claimActiveKey(db, keyring);
    const refs = await payloadReferences(db);
    const hashes = [...new Set(refs.map((ref) => ref.contentHash))];
    const moves: Array<{ from: string; to: string }> = [];
    let bytesWritten = 0;
    await pMap(
      hashes,
      async (hash) => {
        const moved = await rotatePayload(store, keyring, hash);
        bytesWritten += moved.bytesWritten;
        if (moved.hash !== moved.from) moves.push({ from: moved.from, to: moved.hash });
      },
      { concurrency: Math.max(1, options.concurrency ?? 8) },
    );
    await store.flush();
    await lock.renew();

    // Unchanged snapshots share one envelope: re-seal each distinct one once.
    const resealed = new Map<string, Buffer>();
    const updates: Array<{ id: number; envelope: Buffer }> = [];
    let envelopes = 0;
    for (const ref of refs) {
      if (!ref.metadataEnvelope) continue;
      envelopes++;
      if (inspectEnvelope(ref.metadataEnvelope, fileContext(ref.name)).keyId === keyring.activeKeyId) continue;
      const key = `${ref.name}\u0000${ref.metadataEnvelope.toString('base64')}`;
      let fresh = resealed.get(key);
      if (!fresh) {
        fresh = reencryptEnvelope(keyring, ref.metadataEnvelope, fileContext(ref.name), systemRandomBytes);
        resealed.set(key, fresh);
      }
      updates.push({ id: ref.id, envelope: fresh });
    }

    const itemsRepointed = await inTransaction(db, async (client) => {
      await renewConfigBackupLock(client, lock.holder, lock.leaseMs);
      const repointed = await repointPayloads(client, moves, keyring.activeKeyId);
      await replaceMetadataEnvelopes(client, updates);
      return repointed;
    });
    const cleanup = await store.removeUnreferenced(await referencedHashes(db), { graceMs: 0, staleTempAgeMs: 0 });
    return {
      activeKeyId: keyring.activeKeyId,
      payloads: { total: hashes.length, rotated: moves.length, alreadyCurrent: hashes.length - moves.length, bytesWritten },
      envelopes: { total: envelopes, rotated: updates.length },
      itemsRepointed,
      oldPayloadsRemoved: cleanup.removed.length,
    };
  });
}
