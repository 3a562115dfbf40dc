/**
 * The Temporal payload codec: every payload the worker, the CLI and client code send to Temporal is sealed with
 * AES-256-GCM, so workflow inputs (application configs, approval reasons, ...) never sit in Temporal history in
 * plaintext.
 *
 * An encrypted payload is a new Payload whose `data` is `nonce (12) | ciphertext | tag (16)` of the whole original
 * Payload message (metadata included, so even the original encoding is hidden), with metadata
 * `encoding: binary/encrypted`, `encryption-key-id: <id>` and `encryption-cipher: sentinel/aes-256-gcm/v1`.
 * Associated data = cipher name and key id, so relabelling a payload with another id fails authentication rather
 * than being tried under the wrong key. Decoding uses the recorded id, which is what makes key rotation work.
 *
 * Without keys (`CONFIG_BACKUP_KEY` unset) the codec passes payloads through unchanged when encoding, and fails
 * with a `MISSING_KEY` error naming the variable when it meets an encrypted payload, instead of handing ciphertext
 * to the JSON converter (which would only say "unknown encoding").
 *
 * Runs outside the workflow sandbox (the SDK applies codecs in the worker's main thread), so node:crypto is fine.
 */
import { createCipheriv, createDecipheriv, randomBytes as systemRandomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { CONFIG_BACKUP_KEY_ENV } from '../../domain/config-backup/keyring-name.js';
import { ConfigCryptoError, type ConfigCryptoErrorCode } from '../../domain/config-backup/errors.js';
import type { RandomBytes } from '../../domain/config-backup/types.js';
import { requireCommonJs } from '../commonjs.js';
import { codecKeysFromEnv, type CodecKeys } from './codec-keys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';
export const METADATA_ENCRYPTION_CIPHER = 'encryption-cipher';
export const CODEC_CIPHER = 'sentinel/aes-256-gcm/v1';
export const CODEC_NONCE_BYTES = 12;
export const CODEC_TAG_BYTES = 16;

const { METADATA_ENCODING_KEY } = requireCommonJs('@temporalio/common') as typeof import('@temporalio/common');
const proto = requireCommonJs('@temporalio/proto') as typeof import('@temporalio/proto');
const ProtoPayload = proto.temporal.api.common.v1.Payload;
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class SentinelPayloadCodec implements PayloadCodec {
  constructor(
    private readonly keys: CodecKeys | undefined,
    private readonly randomBytes: RandomBytes = systemRandomBytes,
  ) {}

  /** True when payloads are encrypted on the way out (a key is configured). */
  get encrypts(): boolean {
    return this.keys !== undefined;
  }

  get activeKeyId(): string | undefined {
    return this.keys?.activeKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keys = this.keys;
    if (!keys) return payloads;
    return payloads.map((payload) => this.seal(keys, payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.open(payload) : payload));
  }

  private seal(keys: CodecKeys, payload: Payload): Payload {
    const keyId = keys.activeKeyId;
    const nonce = Buffer.from(this.randomBytes(CODEC_NONCE_BYTES));
    if (nonce.length !== CODEC_NONCE_BYTES) throw new Error(`random source returned ${nonce.length} bytes, need ${CODEC_NONCE_BYTES}`);
    const cipher = createCipheriv('aes-256-gcm', keys.keyFor(keyId)!, nonce, { authTagLength: CODEC_TAG_BYTES });
    cipher.setAAD(associatedData(keyId));
    const plaintext = ProtoPayload.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [METADATA_ENCRYPTION_KEY_ID]: utf8(keyId),
        [METADATA_ENCRYPTION_CIPHER]: utf8(CODEC_CIPHER),
      },
      data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
    };
  }

  private open(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
    const refuse = (code: ConfigCryptoErrorCode, why: string) =>
      new ConfigCryptoError(code, `cannot decode a Temporal payload${keyId ? ` (key id "${keyId}")` : ''}: ${why}`);
    if (!keyId) throw refuse('MALFORMED', `it is marked ${ENCRYPTED_ENCODING} but has no ${METADATA_ENCRYPTION_KEY_ID}`);
    const cipherName = text(payload.metadata?.[METADATA_ENCRYPTION_CIPHER]);
    if (cipherName !== CODEC_CIPHER) {
      throw refuse('UNSUPPORTED_VERSION', `unsupported cipher ${JSON.stringify(cipherName ?? null)} (expected ${CODEC_CIPHER})`);
    }
    if (!this.keys) throw refuse('MISSING_KEY', `it is encrypted but ${CONFIG_BACKUP_KEY_ENV} is not set; set it to the keyring the worker uses`);
    const key = this.keys.keyFor(keyId);
    if (!key) {
      throw refuse(
        'UNKNOWN_KEY_ID',
        `${CONFIG_BACKUP_KEY_ENV} has no key with this id (it has: ${this.keys.keyIds.join(', ')}); keep retired keys in the keyring after a rotation`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < CODEC_NONCE_BYTES + CODEC_TAG_BYTES) throw refuse('TRUNCATED', `encrypted data is ${data.length} bytes, shorter than nonce and tag`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, CODEC_NONCE_BYTES), { authTagLength: CODEC_TAG_BYTES });
    decipher.setAAD(associatedData(keyId));
    decipher.setAuthTag(data.subarray(data.length - CODEC_TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(CODEC_NONCE_BYTES, data.length - CODEC_TAG_BYTES)), decipher.final()]);
    } catch {
      throw refuse('AUTH_FAILED', 'authentication failed (wrong key or tampered data)');
    }
    try {
      return ProtoPayload.decode(plaintext);
    } catch {
      throw refuse('MALFORMED', 'the decrypted bytes are not a Payload message');
    }
  }
}

/** The codec for an environment (pass `process.env`): encrypting when `CONFIG_BACKUP_KEY` is set, else pass-through. */
export function createPayloadCodec(env: Readonly<Record<string, string | undefined>> = process.env): SentinelPayloadCodec {
  return new SentinelPayloadCodec(codecKeysFromEnv(env));
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

function associatedData(keyId: string): Buffer {
  return utf8(`${CODEC_CIPHER}\n${keyId}`);
}
