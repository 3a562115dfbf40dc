/**
 * Plaintext-level operations on the payload store: hash, seal, store; load and check; rotate to the active key.
 * This is where node:crypto's random source is wired into the pure envelope code.
 */
import { randomBytes } from 'node:crypto';
import { payloadContext } from '../../../domain/config-backup/contexts.js';
import { ConfigCryptoError, inspectEnvelope, openEnvelope, sealEnvelope, type Keyring } from '../../../domain/config-backup/crypto.js';
import type { RandomBytes } from '../../../domain/config-backup/types.js';
import type { PayloadStore, PutResult } from './payload-store.js';

/** Cryptographically secure random bytes for nonces. */
export const systemRandomBytes: RandomBytes = (size) => randomBytes(size);

/**
 * Stores `plaintext` under its keyed hash (active key). When the object already exists nothing is encrypted or
 * written, which is what keeps an unchanged re-run cheap and at zero new bytes.
 */
export async function storePayload(store: PayloadStore, keyring: Keyring, plaintext: Uint8Array): Promise<PutResult> {
  const hash = keyring.contentHash(plaintext);
  return storePayloadWithHash(store, keyring, hash, plaintext);
}

/** As `storePayload` when the caller already computed `hash = keyring.contentHash(plaintext)`. */
export async function storePayloadWithHash(store: PayloadStore, keyring: Keyring, hash: string, plaintext: Uint8Array): Promise<PutResult> {
  if (await store.has(hash)) return { hash, written: false, bytesWritten: 0 };
  return store.put(hash, sealEnvelope(keyring, payloadContext(hash), plaintext, systemRandomBytes));
}

/** Decrypts an object and checks that it still hashes to its address. */
export async function loadPayload(store: PayloadStore, keyring: Keyring, hash: string): Promise<Buffer> {
  const envelope = await store.get(hash);
  const context = payloadContext(hash);
  const { keyId } = inspectEnvelope(envelope, context);
  const plaintext = openEnvelope(keyring, envelope, context);
  if (keyring.contentHash(plaintext, keyId) !== hash) {
    throw new ConfigCryptoError('CONTENT_MISMATCH', `payload ${hash}: content does not match its address`);
  }
  return plaintext;
}

export interface RotatedPayload extends PutResult {
  /** The old address; the caller repoints metadata rows from `from` to `hash`, then cleanup drops `from`. */
  from: string;
}

/**
 * Moves an object to the active key: decrypts it, hashes the plaintext with the active key's content key and stores
 * it under that new address. Already-rotated objects come back with `hash === from`, nothing written.
 */
export async function rotatePayload(store: PayloadStore, keyring: Keyring, hash: string): Promise<RotatedPayload> {
  const envelope = await store.get(hash);
  if (inspectEnvelope(envelope, payloadContext(hash)).keyId === keyring.activeKeyId) {
    return { from: hash, hash, written: false, bytesWritten: 0 };
  }
  const plaintext = await loadPayload(store, keyring, hash);
  return { from: hash, ...(await storePayload(store, keyring, plaintext)) };
}
