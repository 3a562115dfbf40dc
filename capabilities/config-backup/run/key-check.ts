/**
 * Keeps one key per key id in a store. Key ids are names (`dev`, `2026a`), so a recreated development key or a
 * mistyped keyring entry can reuse an id with a different key; without a check every backup under it starts a
 * second lineage that verify and restore with the first key can only call "authentication failed". The store
 * records each id's key check value (domain/config-backup/keyring.ts) on first use, and backups and rotations
 * with another key under that id are refused before they write anything.
 */
import type pg from 'pg';
import { ConfigCryptoError } from '../../../domain/config-backup/errors.js';
import type { Keyring } from '../../../domain/config-backup/keyring.js';
import { keyCheckValues, recordKeyCheckValue, samplePayloadOfKey } from '../../../db/repositories/config-backups.js';
import type { PayloadStore } from '../store/payload-store.js';
import { loadPayload } from '../store/payloads.js';

type Queryable = pg.Pool | pg.PoolClient;

export function keyMismatch(keyId: string): ConfigCryptoError {
  return new ConfigCryptoError('KEY_MISMATCH', `key \`${keyId}\` does not match the one that wrote this store`);
}

/**
 * Refuses a keyring with a key whose id the store knows under another key. Ids without a recorded check value
 * (stores written before values were recorded) are checked by authenticating one payload written under them.
 * Writes nothing.
 */
export async function checkKeyringAgainstStore(db: Queryable, keyring: Keyring, store: PayloadStore): Promise<void> {
  const recorded = await keyCheckValues(db);
  for (const keyId of keyring.keyIds) {
    const value = recorded.get(keyId);
    if (value !== undefined) {
      if (value !== keyring.keyCheckValue(keyId)) throw keyMismatch(keyId);
      continue;
    }
    const sample = await samplePayloadOfKey(db, keyId);
    if (sample === undefined) continue;
    try {
      await loadPayload(store, keyring, sample);
    } catch (error) {
      // Only a failed authentication says "another key"; a missing or damaged object is verify's business.
      if (error instanceof ConfigCryptoError && error.code === 'AUTH_FAILED') throw keyMismatch(keyId);
    }
  }
}

/**
 * Records the active key's check value on the first use of its id, and refuses when another key got there first
 * (also when two first uses race: the first one recorded wins).
 */
export async function claimActiveKey(db: Queryable, keyring: Keyring): Promise<void> {
  const mine = keyring.keyCheckValue();
  if ((await recordKeyCheckValue(db, keyring.activeKeyId, mine)) !== mine) throw keyMismatch(keyring.activeKeyId);
}
