/**
 * Authenticated encryption of backup payloads: AES-256-GCM envelopes that carry their key id.
 *
 * Envelope layout (all integers big-endian):
 *
 *   "SNCB" | version u8 (=1) | keyIdLength u8 | keyId (ASCII) | plaintextLength u32 | nonce (12) | ciphertext | tag (16)
 *
 * Everything before the nonce is the header. Associated data = header || UTF-8 context, so neither the key id, the
 * length nor the item the envelope belongs to can be altered or swapped without failing authentication. The
 * recorded length lets a truncated envelope be reported as truncated instead of as a generic auth failure.
 *
 * Node's GCM decipher accepts short tags unless `authTagLength` is given, so it is always passed and the tag is
 * sliced at exactly 16 bytes. Randomness is injected (`RandomBytes`) to keep this module free of hidden I/O; pass
 * node:crypto `randomBytes`. Never pass a seeded PRNG: a repeated nonce breaks GCM completely.
 *
 * Runs in activities only (uses node:crypto); do not import from workflow code.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ConfigCryptoError } from './errors.js';
import { encryptionKeyOf, type Keyring } from './keyring.js';
import type { RandomBytes } from './types.js';

export { Keyring, keyringFromEnv, keyFingerprint, CONFIG_BACKUP_KEY_ENV, type KeyringEntry } from './keyring.js';
export { ConfigCryptoError, type ConfigCryptoErrorCode } from './errors.js';

const MAGIC = Buffer.from('SNCB', 'ascii');
export const ENVELOPE_VERSION = 1;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';
const FIXED_HEADER_BYTES = MAGIC.length + 2; // magic, version, keyIdLength
const LENGTH_BYTES = 4;
const MAX_PLAINTEXT_BYTES = 0xffff_ffff;

export interface EnvelopeInfo {
  version: number;
  keyId: string;
  plaintextLength: number;
  /** Byte length the envelope must have. */
  envelopeLength: number;
}

interface ParsedEnvelope extends EnvelopeInfo {
  header: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Encrypts `plaintext` under the active key, bound to `context` (e.g. `env:PROD_DB_PASSWORD`). */
export function sealEnvelope(keyring: Keyring, context: string, plaintext: Uint8Array, randomBytes: RandomBytes): Buffer {
  requireContext(context);
  if (plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw new ConfigCryptoError('MALFORMED', `cannot encrypt payload ${context}: larger than 4 GiB`);
  }
  const keyId = keyring.activeKeyId;
  const key = encryptionKeyOf(keyring, keyId);
  if (!key) throw new ConfigCryptoError('UNKNOWN_KEY_ID', `cannot encrypt payload ${context}: no active key`);
  const nonce = Buffer.from(randomBytes(NONCE_BYTES));
  if (nonce.length !== NONCE_BYTES) throw new Error(`random source returned ${nonce.length} bytes, need ${NONCE_BYTES}`);

  const header = encodeHeader(keyId, plaintext.length);
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(header, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  if (tag.length !== TAG_BYTES) throw new Error(`GCM produced a ${tag.length}-byte tag, need ${TAG_BYTES}`);
  return Buffer.concat([header, nonce, ciphertext, tag]);
}

/**
 * Decrypts and authenticates an envelope with the key id it records. Throws `ConfigCryptoError` whose message
 * names `context` and never contains plaintext or key material.
 */
export function openEnvelope(keyring: Keyring, envelope: Uint8Array, context: string): Buffer {
  requireContext(context);
  const parsed = parseEnvelope(envelope, context);
  const key = encryptionKeyOf(keyring, parsed.keyId);
  if (!key) {
    throw new ConfigCryptoError(
      'UNKNOWN_KEY_ID',
      `cannot decrypt payload ${context}: unknown key id "${parsed.keyId}" (keyring has: ${keyring.keyIds.join(', ')})`,
    );
  }
  const decipher = createDecipheriv(CIPHER, key, parsed.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(parsed.header, context));
  decipher.setAuthTag(parsed.tag);
  const head = decipher.update(parsed.ciphertext);
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    // Node's own message is generic; ours says what the operator can do about it.
    throw new ConfigCryptoError('AUTH_FAILED', `cannot decrypt payload ${context}: authentication failed (wrong key or tampered data)`);
  }
}

/** Reads the header without decrypting (which key sealed it, how long the plaintext is). */
export function inspectEnvelope(envelope: Uint8Array, context = 'envelope'): EnvelopeInfo {
  const { version, keyId, plaintextLength, envelopeLength } = parseEnvelope(envelope, context);
  return { version, keyId, plaintextLength, envelopeLength };
}

/**
 * Re-seals an envelope under the keyring's active key (for `sentinel config rotate-key`). The context may change
 * in the same step. Content-addressed payloads must NOT be rotated with this alone: their address is a hash under
 * the old key, use `rotatePayload` from capabilities/config-backup/store, which moves them to the new address.
 */
export function reencryptEnvelope(keyring: Keyring, envelope: Uint8Array, context: string, randomBytes: RandomBytes, newContext: string = context): Buffer {
  const plaintext = openEnvelope(keyring, envelope, context);
  try {
    return sealEnvelope(keyring, newContext, plaintext, randomBytes);
  } finally {
    plaintext.fill(0);
  }
}

function encodeHeader(keyId: string, plaintextLength: number): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  const header = Buffer.alloc(FIXED_HEADER_BYTES + id.length + LENGTH_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(ENVELOPE_VERSION, MAGIC.length);
  header.writeUInt8(id.length, MAGIC.length + 1);
  id.copy(header, FIXED_HEADER_BYTES);
  header.writeUInt32BE(plaintextLength, FIXED_HEADER_BYTES + id.length);
  return header;
}

function parseEnvelope(input: Uint8Array, context: string): ParsedEnvelope {
  const envelope = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
  const fail = (code: 'TRUNCATED' | 'MALFORMED' | 'UNSUPPORTED_VERSION', why: string): never => {
    throw new ConfigCryptoError(code, `cannot decrypt payload ${context}: ${why}`);
  };
  if (envelope.length >= MAGIC.length && !envelope.subarray(0, MAGIC.length).equals(MAGIC)) {
    fail('MALFORMED', 'not a config backup envelope (bad magic bytes)');
  }
  if (envelope.length < FIXED_HEADER_BYTES) fail('TRUNCATED', `envelope truncated (${envelope.length} bytes)`);
  const version = envelope.readUInt8(MAGIC.length);
  if (version !== ENVELOPE_VERSION) fail('UNSUPPORTED_VERSION', `unsupported envelope version ${version}`);
  const keyIdLength = envelope.readUInt8(MAGIC.length + 1);
  if (keyIdLength === 0) fail('MALFORMED', 'envelope has an empty key id');
  const headerLength = FIXED_HEADER_BYTES + keyIdLength + LENGTH_BYTES;
  const minimum = headerLength + NONCE_BYTES + TAG_BYTES;
  if (envelope.length < minimum) {
    fail('TRUNCATED', `envelope truncated (${envelope.length} bytes, header alone needs ${minimum})`);
  }
  const keyId = envelope.toString('ascii', FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + keyIdLength);
  const plaintextLength = envelope.readUInt32BE(FIXED_HEADER_BYTES + keyIdLength);
  const envelopeLength = minimum + plaintextLength;
  if (envelope.length < envelopeLength) {
    fail('TRUNCATED', `envelope truncated (${envelope.length} of ${envelopeLength} bytes)`);
  }
  if (envelope.length > envelopeLength) {
    fail('MALFORMED', `envelope has ${envelope.length - envelopeLength} unexpected trailing bytes`);
  }
  const nonceStart = headerLength;
  const cipherStart = nonceStart + NONCE_BYTES;
  const tagStart = cipherStart + plaintextLength;
  return {
    version,
    keyId,
    plaintextLength,
    envelopeLength,
    header: envelope.subarray(0, headerLength),
    nonce: envelope.subarray(nonceStart, cipherStart),
    ciphertext: envelope.subarray(cipherStart, tagStart),
    tag: envelope.subarray(tagStart, tagStart + TAG_BYTES),
  };
}

function associatedData(header: Buffer, context: string): Buffer {
  return Buffer.concat([header, Buffer.from(context, 'utf8')]);
}

function requireContext(context: string): void {
  if (typeof context !== 'string' || context.length === 0) {
    throw new TypeError('an envelope context such as "file:/etc/app.yaml" is required');
  }
}
