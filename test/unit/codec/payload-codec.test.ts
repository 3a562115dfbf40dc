import { hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigCryptoError } from '../../../domain/config-backup/errors.js';
import { encryptionKeyOf, Keyring } from '../../../domain/config-backup/keyring.js';
import { codecKeysFromEnv, codecKeysFromMasterKeys, codecKeysFromSpec } from '../../../platform/codec/codec-keys.js';
import {
  CODEC_CIPHER,
  createPayloadCodec,
  ENCRYPTED_ENCODING,
  METADATA_ENCRYPTION_CIPHER,
  METADATA_ENCRYPTION_KEY_ID,
  SentinelPayloadCodec,
} from '../../../platform/codec/payload-codec.js';
import { assertCodecForSecrets, clientEncryptsPayloads } from '../../../platform/codec/secrets-guard.js';
import { sentinelDataConverter } from '../../../platform/temporal.js';

const KEY_1 = Buffer.alloc(32, 0x11);
const KEY_2 = Buffer.alloc(32, 0x22);
const CANARY = 'CANARY-codec-7q2w9e';

const codecFor = (...entries: Array<{ id: string; key: Buffer }>) => new SentinelPayloadCodec(codecKeysFromMasterKeys(entries));
const jsonPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

async function decodeError(codec: SentinelPayloadCodec, payload: Payload): Promise<ConfigCryptoError> {
  const error = await codec.decode([payload]).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigCryptoError);
  const cryptoError = error as ConfigCryptoError;
  for (const secret of [CANARY, KEY_1.toString('base64'), KEY_2.toString('base64'), KEY_1.toString('hex')]) {
    expect(cryptoError.message).not.toContain(secret);
  }
  return cryptoError;
}

function withData(payload: Payload, change: (data: Buffer) => Buffer): Payload {
  return { metadata: { ...payload.metadata }, data: change(Buffer.from(payload.data!)) };
}

describe('SentinelPayloadCodec', () => {
  it('encrypts the whole payload, records key id and cipher, and decodes it back exactly', async () => {
    const codec = codecFor({ id: 'k1', key: KEY_1 });
    const original = jsonPayload({ reason: CANARY, n: 42 });
    const [sealed] = await codec.encode([original]);
    expect(text(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed!.metadata![METADATA_ENCRYPTION_KEY_ID])).toBe('k1');
    expect(text(sealed!.metadata![METADATA_ENCRYPTION_CIPHER])).toBe(CODEC_CIPHER);
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', 'encryption-cipher', 'encryption-key-id']);
    // Neither the value nor the original encoding survives in the clear.
    expect(Buffer.from(sealed!.data!).includes(CANARY)).toBe(false);
    expect(Buffer.from(sealed!.data!).includes('json/plain')).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ reason: CANARY, n: 42 });
    expect(text(opened!.metadata!.encoding)).toBe('json/plain');
  });

  it('uses a fresh 12-byte nonce per payload and a 16-byte tag', async () => {
    const codec = codecFor({ id: 'k1', key: KEY_1 });
    const payload = jsonPayload('same');
    const [a, b] = await codec.encode([payload, payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
    // data = nonce | ciphertext (same length as the serialised Payload) | tag
    const plainLength = proto.temporal.api.common.v1.Payload.encode(payload).finish().length;
    expect(a!.data!.length).toBe(12 + plainLength + 16);
  });

  it('encrypts every kind of payload, including undefined (binary/null) and raw bytes', async () => {
    const codec = codecFor({ id: 'k1', key: KEY_1 });
    const originals = [jsonPayload(undefined), jsonPayload(new Uint8Array([1, 2, 3])), jsonPayload(null)];
    const sealed = await codec.encode(originals);
    expect(sealed.every((p) => text(p.metadata!.encoding) === ENCRYPTED_ENCODING)).toBe(true);
    const opened = await codec.decode(sealed);
    expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([undefined, new Uint8Array([1, 2, 3]), null]);
    expect(await codec.encode([])).toEqual([]);
  });

  it('round-trips arbitrary payloads (property)', async () => {
    const codec = codecFor({ id: 'k1', key: KEY_1 });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.uint8Array({ maxLength: 40 }), { maxKeys: 4 }),
        fc.uint8Array({ maxLength: 600 }),
        async (metadata, data) => {
          const [sealed] = await codec.encode([{ metadata, data }]);
          const [opened] = await codec.decode([sealed!]);
          expect(Buffer.from(opened!.data ?? []).equals(Buffer.from(data))).toBe(true);
          expect(Object.keys(opened!.metadata ?? {}).sort()).toEqual(Object.keys(metadata).sort());
          for (const [k, v] of Object.entries(metadata)) expect(Buffer.from(opened!.metadata![k]!).equals(Buffer.from(v))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('passes unencrypted payloads through on decode (histories from before a key was set)', async () => {
    const codec = codecFor({ id: 'k1', key: KEY_1 });
    const plain = jsonPayload({ target: 'orders-db' });
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});

describe('tamper detection', () => {
  const codec = codecFor({ id: 'k1', key: KEY_1 }, { id: 'k2', key: KEY_2 });
  const sealedOnce = async () => (await codec.encode([jsonPayload({ secret: CANARY })]))[0]!;

  it('refuses a flipped bit in the nonce, the ciphertext or the tag', async () => {
    const sealed = await sealedOnce();
    const length = sealed.data!.length;
    for (const index of [0, 11, 12, Math.floor(length / 2), length - 17, length - 16, length - 1]) {
      const flipped = withData(sealed, (data) => {
        data[index]! ^= 0x01;
        return data;
      });
      const error = await decodeError(codec, flipped);
      expect(error.code, `byte ${index}`).toBe('AUTH_FAILED');
      expect(error.message).toBe('cannot decode a Temporal payload (key id "k1"): authentication failed (wrong key or tampered data)');
    }
  });

  it('refuses truncated data: a cut tag fails authentication, less than nonce + tag is reported as truncated', async () => {
    const sealed = await sealedOnce();
    expect(
      (
        await decodeError(
          codec,
          withData(sealed, (d) => d.subarray(0, d.length - 4)),
        )
      ).code,
    ).toBe('AUTH_FAILED');
    const short = await decodeError(
      codec,
      withData(sealed, (d) => d.subarray(0, 27)),
    );
    expect(short.code).toBe('TRUNCATED');
    expect(short.message).toContain('27 bytes');
  });

  it('refuses a payload relabelled with another key id, even when both ids hold the same key (id is bound as associated data)', async () => {
    const sealed = await sealedOnce();
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, [METADATA_ENCRYPTION_KEY_ID]: Buffer.from('k2') } };
    expect((await decodeError(codec, relabelled)).code).toBe('AUTH_FAILED');

    const twins = codecFor({ id: 'a', key: KEY_1 }, { id: 'b', key: KEY_1 });
    const [fromA] = await twins.encode([jsonPayload(CANARY)]);
    const asB = { ...fromA!, metadata: { ...fromA!.metadata, [METADATA_ENCRYPTION_KEY_ID]: Buffer.from('b') } };
    expect((await decodeError(twins, asB)).code).toBe('AUTH_FAILED');
    expect(defaultPayloadConverter.fromPayload((await twins.decode([fromA!]))[0]!)).toBe(CANARY);
  });

  it('names an unknown key id and the ids it has, and refuses a missing id or an unknown cipher', async () => {
    const sealed = await sealedOnce();
    const unknown = await decodeError(codec, { ...sealed, metadata: { ...sealed.metadata, [METADATA_ENCRYPTION_KEY_ID]: Buffer.from('k9') } });
    expect(unknown.code).toBe('UNKNOWN_KEY_ID');
    expect(unknown.message).toContain('key id "k9"');
    expect(unknown.message).toContain('it has: k1, k2');
    const { [METADATA_ENCRYPTION_KEY_ID]: _dropped, ...withoutId } = sealed.metadata!;
    expect((await decodeError(codec, { ...sealed, metadata: withoutId })).code).toBe('MALFORMED');
    const otherCipher = { ...sealed, metadata: { ...sealed.metadata, [METADATA_ENCRYPTION_CIPHER]: Buffer.from('aes-128-cbc') } };
    expect((await decodeError(codec, otherCipher)).code).toBe('UNSUPPORTED_VERSION');
  });

  it('refuses a payload sealed under a different key with the same id', async () => {
    const sealed = await sealedOnce();
    const impostor = codecFor({ id: 'k1', key: KEY_2 });
    expect((await decodeError(impostor, sealed)).code).toBe('AUTH_FAILED');
  });
});

describe('key rotation', () => {
  it('decodes old payloads with the recorded id after a new active key is added; new payloads use the new id', async () => {
    const before = new SentinelPayloadCodec(codecKeysFromSpec(`k1:${KEY_1.toString('base64')}`));
    const [old] = await before.encode([jsonPayload({ v: 'old' })]);

    const after = new SentinelPayloadCodec(codecKeysFromSpec(`k1:${KEY_1.toString('base64')},*k2:${KEY_2.toString('base64')}`));
    expect(after.activeKeyId).toBe('k2');
    const [fresh] = await after.encode([jsonPayload({ v: 'new' })]);
    expect(text(fresh!.metadata![METADATA_ENCRYPTION_KEY_ID])).toBe('k2');
    const decoded = await after.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ v: 'old' }, { v: 'new' }]);

    // A process still on the old ring cannot read the new payloads, and says why.
    const error = await decodeError(before, fresh!);
    expect(error.code).toBe('UNKNOWN_KEY_ID');
    // Dropping the retired key makes old payloads unreadable: the ring must keep it.
    const dropped = new SentinelPayloadCodec(codecKeysFromSpec(`k2:${KEY_2.toString('base64')}`));
    expect((await decodeError(dropped, old!)).code).toBe('UNKNOWN_KEY_ID');
  });
});

describe('without a key (CONFIG_BACKUP_KEY unset)', () => {
  const keyless = createPayloadCodec({});

  it('passes payloads through unencrypted', async () => {
    expect(keyless.encrypts).toBe(false);
    expect(keyless.activeKeyId).toBeUndefined();
    const plain = jsonPayload({ target: 'orders-db' });
    expect(await keyless.encode([plain])).toEqual([plain]);
    expect(await keyless.decode([plain])).toEqual([plain]);
  });

  it('fails on an encrypted payload with an error naming the missing variable', async () => {
    const [sealed] = await codecFor({ id: 'k1', key: KEY_1 }).encode([jsonPayload({ secret: CANARY })]);
    const error = await decodeError(keyless, sealed!);
    expect(error.code).toBe('MISSING_KEY');
    expect(error.message).toBe(
      'cannot decode a Temporal payload (key id "k1"): it is encrypted but CONFIG_BACKUP_KEY is not set; set it to the keyring the worker uses',
    );
  });

  it('treats a blank variable as unset', () => {
    expect(createPayloadCodec({ CONFIG_BACKUP_KEY: '  ' }).encrypts).toBe(false);
  });
});

describe('codec keys from CONFIG_BACKUP_KEY', () => {
  it('uses the keyring ids for every spec form', () => {
    for (const spec of [
      KEY_1.toString('base64'),
      KEY_1.toString('base64url'),
      `prod-2026:${KEY_1.toString('base64')}`,
      `old:${KEY_1.toString('base64')}, *new:${KEY_2.toString('base64')}`,
      `${KEY_1.toString('base64')},${KEY_2.toString('base64')}`,
    ]) {
      const keyring = Keyring.fromSpec(spec);
      const keys = codecKeysFromSpec(spec);
      expect(keys.activeKeyId, spec).toBe(keyring.activeKeyId);
      expect(keys.keyIds, spec).toEqual(keyring.keyIds);
    }
  });

  it('derives the codec key by HKDF-SHA256 with its own salt and label, distinct from the payload-store key', () => {
    const keys = codecKeysFromSpec(`k1:${KEY_1.toString('base64')}`);
    const expected = Buffer.from(
      hkdfSync('sha256', KEY_1, 'backup-sentinel/temporal-payload-codec/v1', 'backup-sentinel temporal-payload-codec aes-256-gcm', 32),
    );
    const codecKey = keys.keyFor('k1')!.export();
    expect(codecKey.equals(expected)).toBe(true);
    const storeKey = encryptionKeyOf(Keyring.fromSpec(`k1:${KEY_1.toString('base64')}`), 'k1')!.export();
    expect(codecKey.equals(storeKey)).toBe(false);
    expect(codecKey.equals(KEY_1)).toBe(false);
  });

  it('rejects a malformed key with the keyring error, and never shows key material when logged', () => {
    expect(() => codecKeysFromSpec('not-base64!')).toThrow(ConfigCryptoError);
    expect(() => codecKeysFromEnv({ CONFIG_BACKUP_KEY: Buffer.alloc(16, 1).toString('base64') })).toThrow(/exactly 32 bytes/);
    expect(codecKeysFromEnv({})).toBeUndefined();
    const keys = codecKeysFromSpec(`k1:${KEY_1.toString('base64')}`);
    for (const shown of [JSON.stringify(keys), inspect(keys, { depth: 5, showHidden: true })]) {
      expect(shown).toContain('k1');
      expect(shown).not.toContain(KEY_1.toString('base64'));
      expect(shown).not.toContain(keys.keyFor('k1')!.export().toString('hex'));
    }
  });
});

describe('sentinelDataConverter and the secrets guard', () => {
  const spec = `k1:${randomBytes(32).toString('base64')}`;

  it('installs the codec, encrypting exactly when CONFIG_BACKUP_KEY is set', () => {
    const keyed = sentinelDataConverter({ CONFIG_BACKUP_KEY: spec }).payloadCodecs!;
    expect(keyed).toHaveLength(1);
    expect((keyed[0] as SentinelPayloadCodec).encrypts).toBe(true);
    expect((sentinelDataConverter({}).payloadCodecs![0] as SentinelPayloadCodec).encrypts).toBe(false);
    expect(() => sentinelDataConverter({ CONFIG_BACKUP_KEY: 'short' })).toThrow(ConfigCryptoError);
  });

  it('assertCodecForSecrets refuses a client without the key and accepts one with it', () => {
    const keyless = new Client({ dataConverter: sentinelDataConverter({}) });
    const keyed = new Client({ dataConverter: sentinelDataConverter({ CONFIG_BACKUP_KEY: spec }) });
    const plainSdk = new Client();
    expect(clientEncryptsPayloads(keyed)).toBe(true);
    expect(clientEncryptsPayloads(keyless)).toBe(false);
    expect(clientEncryptsPayloads(plainSdk)).toBe(false);
    expect(() => assertCodecForSecrets(keyed, 'start configBackupWorkflow with application configs')).not.toThrow();
    expect(() => assertCodecForSecrets(keyed.schedule, 'create a schedule with application configs')).not.toThrow();
    for (const client of [keyless, plainSdk]) {
      expect(() => assertCodecForSecrets(client, 'start configBackupWorkflow with application configs')).toThrow(
        'refusing to start configBackupWorkflow with application configs: CONFIG_BACKUP_KEY is not set, so the input would be stored in Temporal history in plaintext',
      );
    }
  });
});
