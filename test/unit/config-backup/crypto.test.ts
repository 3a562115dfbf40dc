import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ConfigCryptoError,
  inspectEnvelope,
  Keyring,
  keyFingerprint,
  keyringFromEnv,
  openEnvelope,
  reencryptEnvelope,
  sealEnvelope,
} from '../../../domain/config-backup/crypto.js';
import { KEY_1, KEY_2, keyringK1, random } from './helpers.js';

const PLAINTEXT = Buffer.from('db_password=hunter2-PLAINTEXT-MARKER', 'utf8');
const CONTEXT = 'env:PROD_DB_PASSWORD';

function catchError(fn: () => unknown): ConfigCryptoError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigCryptoError);
    return error as ConfigCryptoError;
  }
  throw new Error('expected a ConfigCryptoError');
}

function expectNoSecrets(error: Error): void {
  expect(error.message).not.toContain('hunter2');
  expect(error.message).not.toContain('PLAINTEXT-MARKER');
  expect(error.message).not.toContain(KEY_1.toString('base64'));
  expect(error.message).not.toContain(KEY_2.toString('base64'));
  expect(error.message).not.toContain(KEY_1.toString('hex'));
}

describe('AES-256-GCM envelopes', () => {
  it('round-trips and records the key id; every seal uses a fresh nonce', () => {
    const keyring = keyringK1();
    const a = sealEnvelope(keyring, CONTEXT, PLAINTEXT, random);
    const b = sealEnvelope(keyring, CONTEXT, PLAINTEXT, random);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(PLAINTEXT)).toBe(false);
    expect(openEnvelope(keyring, a, CONTEXT).equals(PLAINTEXT)).toBe(true);
    expect(openEnvelope(keyring, b, CONTEXT).equals(PLAINTEXT)).toBe(true);
    expect(inspectEnvelope(a)).toEqual({
      version: 1,
      keyId: 'k1',
      plaintextLength: PLAINTEXT.length,
      envelopeLength: 4 + 1 + 1 + 2 + 4 + 12 + PLAINTEXT.length + 16,
    });
    expect(a.length).toBe(inspectEnvelope(a).envelopeLength);
  });

  it('round-trips empty and large plaintexts', () => {
    const keyring = keyringK1();
    expect(openEnvelope(keyring, sealEnvelope(keyring, 'file:/e', Buffer.alloc(0), random), 'file:/e').length).toBe(0);
    const big = random(3 * 1024 * 1024);
    expect(openEnvelope(keyring, sealEnvelope(keyring, 'file:/big', big, random), 'file:/big').equals(Buffer.from(big))).toBe(true);
  });

  it('detects a flipped bit at every position with a clear, plaintext-free error', () => {
    const keyring = keyringK1();
    const envelope = sealEnvelope(keyring, CONTEXT, PLAINTEXT, random);
    const codes = new Set<string>();
    for (let i = 0; i < envelope.length; i++) {
      const tampered = Buffer.from(envelope);
      tampered[i]! ^= 0x01;
      const error = catchError(() => openEnvelope(keyring, tampered, CONTEXT));
      expectNoSecrets(error);
      expect(error.message).toMatch(/^cannot decrypt payload env:PROD_DB_PASSWORD: /);
      codes.add(error.code);
    }
    // magic -> MALFORMED, version -> UNSUPPORTED_VERSION, key id -> UNKNOWN_KEY_ID, length -> TRUNCATED/MALFORMED,
    // nonce/ciphertext/tag -> AUTH_FAILED
    expect(codes).toEqual(new Set(['MALFORMED', 'UNSUPPORTED_VERSION', 'UNKNOWN_KEY_ID', 'TRUNCATED', 'AUTH_FAILED']));
    const tagFlip = Buffer.from(envelope);
    tagFlip[tagFlip.length - 1]! ^= 0x80;
    expect(catchError(() => openEnvelope(keyring, tagFlip, CONTEXT)).message).toBe(
      'cannot decrypt payload env:PROD_DB_PASSWORD: authentication failed (wrong key or tampered data)',
    );
  });

  it('reports every truncation as truncated, including a shortened tag', () => {
    const keyring = keyringK1();
    const envelope = sealEnvelope(keyring, CONTEXT, PLAINTEXT, random);
    for (let length = 0; length < envelope.length; length++) {
      const error = catchError(() => openEnvelope(keyring, envelope.subarray(0, length), CONTEXT));
      expect(error.code).toBe('TRUNCATED');
      expect(error.message).toContain('envelope truncated');
      expectNoSecrets(error);
    }
    // A 4-byte tag (which Node would accept without authTagLength) is just a truncated envelope here.
    expect(catchError(() => openEnvelope(keyring, envelope.subarray(0, envelope.length - 12), CONTEXT)).code).toBe('TRUNCATED');
    expect(catchError(() => openEnvelope(keyring, Buffer.concat([envelope, Buffer.from([0])]), CONTEXT)).code).toBe('MALFORMED');
  });

  it('fails with "authentication failed" under the wrong key (same id, other bytes)', () => {
    const envelope = sealEnvelope(keyringK1(), CONTEXT, PLAINTEXT, random);
    const impostor = Keyring.fromKeys([{ id: 'k1', key: KEY_2 }]);
    const error = catchError(() => openEnvelope(impostor, envelope, CONTEXT));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toBe('cannot decrypt payload env:PROD_DB_PASSWORD: authentication failed (wrong key or tampered data)');
    expectNoSecrets(error);
  });

  it('names an unknown key id and the ids it has', () => {
    const envelope = sealEnvelope(keyringK1(), CONTEXT, PLAINTEXT, random);
    const other = Keyring.fromKeys([{ id: 'k2', key: KEY_2 }]);
    const error = catchError(() => openEnvelope(other, envelope, CONTEXT));
    expect(error.code).toBe('UNKNOWN_KEY_ID');
    expect(error.message).toBe('cannot decrypt payload env:PROD_DB_PASSWORD: unknown key id "k1" (keyring has: k2)');
  });

  it('binds the context: a ciphertext moved to another item does not open', () => {
    const keyring = keyringK1();
    const envelope = sealEnvelope(keyring, 'env:PROD_DB_PASSWORD', PLAINTEXT, random);
    const error = catchError(() => openEnvelope(keyring, envelope, 'env:PROD_API_TOKEN'));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toContain('cannot decrypt payload env:PROD_API_TOKEN');
    expectNoSecrets(error);
  });

  it('re-encrypts under the active key for rotation', () => {
    const old = keyringK1();
    const envelope = sealEnvelope(old, CONTEXT, PLAINTEXT, random);
    const rotated = Keyring.fromKeys(
      [
        { id: 'k1', key: KEY_1 },
        { id: 'k2', key: KEY_2 },
      ],
      'k2',
    );
    const resealed = reencryptEnvelope(rotated, envelope, CONTEXT, random);
    expect(inspectEnvelope(resealed).keyId).toBe('k2');
    expect(openEnvelope(rotated, resealed, CONTEXT).equals(PLAINTEXT)).toBe(true);
    const newOnly = Keyring.fromKeys([{ id: 'k2', key: KEY_2 }]);
    expect(openEnvelope(newOnly, resealed, CONTEXT).equals(PLAINTEXT)).toBe(true);
    expect(catchError(() => openEnvelope(newOnly, envelope, CONTEXT)).code).toBe('UNKNOWN_KEY_ID');
  });
});

describe('keyring', () => {
  const b64 = (key: Buffer): string => key.toString('base64');

  it('refuses to run without CONFIG_BACKUP_KEY', () => {
    for (const env of [{}, { CONFIG_BACKUP_KEY: '' }, { CONFIG_BACKUP_KEY: '   ' }]) {
      const error = catchError(() => keyringFromEnv(env));
      expect(error.code).toBe('MISSING_KEY');
      expect(error.message).toBe('CONFIG_BACKUP_KEY is not set: refusing to back up without encryption');
    }
  });

  it('accepts a single base64 key and names it by fingerprint', () => {
    const keyring = keyringFromEnv({ CONFIG_BACKUP_KEY: b64(KEY_1) });
    expect(keyring.activeKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyring.activeKeyId).toBe(keyFingerprint(KEY_1));
    expect(keyring.activeKeyId).not.toBe(keyFingerprint(KEY_2));
    expect(keyringFromEnv({ CONFIG_BACKUP_KEY: KEY_1.toString('base64url') }).activeKeyId).toBe(keyring.activeKeyId);
  });

  it('parses the keyring form: first entry active unless one is marked with *', () => {
    const first = Keyring.fromSpec(`new:${b64(KEY_2)}, old:${b64(KEY_1)}`);
    expect(first.activeKeyId).toBe('new');
    expect(first.keyIds).toEqual(['new', 'old']);
    const marked = Keyring.fromSpec(`old:${b64(KEY_1)},*new:${b64(KEY_2)}`);
    expect(marked.activeKeyId).toBe('new');
    expect(marked.keyIds).toEqual(['new', 'old']);
    const mixed = Keyring.fromSpec(`${b64(KEY_1)},*named:${b64(KEY_2)}`);
    expect(mixed.keyIds).toEqual(['named', keyFingerprint(KEY_1)]);
  });

  it('rejects bad keys without echoing them', () => {
    const short = Buffer.alloc(31, 7).toString('base64');
    const cases: [string, RegExp][] = [
      [short, /must be base64 of exactly 32 bytes \(decodes to 31\)/],
      ['not base64 !!', /is not base64/],
      [`a:${b64(KEY_1)},a:${b64(KEY_2)}`, /duplicate key id "a"/],
      [`*a:${b64(KEY_1)},*b:${b64(KEY_2)}`, /more than one key active/],
      [`a:${b64(KEY_1)},,b:${b64(KEY_2)}`, /entry #2 is empty/],
      [`bad id!:${b64(KEY_1)}`, /key id must match/],
    ];
    for (const [spec, message] of cases) {
      const error = catchError(() => Keyring.fromSpec(spec));
      expect(error.code).toBe('INVALID_KEY');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(short);
      expectNoSecrets(error);
    }
  });

  it('derives separate keys for encryption, content hashes and markers', () => {
    const keyring = keyringK1();
    const data = Buffer.from('same input');
    expect(keyring.contentHash(data)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyring.contentHash(data)).toBe(keyring.contentHash(Buffer.from('same input')));
    expect(keyring.contentHash(data)).not.toBe(keyring.markerHash('same input'));
    expect(Keyring.fromKeys([{ id: 'k1', key: KEY_2 }]).contentHash(data)).not.toBe(keyring.contentHash(data));
  });

  it('a key check value tells two keys under one id apart, and is none of the key or its sub-key outputs', () => {
    const a = Keyring.fromSpec(`dev:${b64(KEY_1)}`);
    expect(a.keyCheckValue()).toMatch(/^[0-9a-f]{64}$/);
    expect(Keyring.fromSpec(`dev:${b64(KEY_1)}`).keyCheckValue('dev')).toBe(a.keyCheckValue());
    expect(Keyring.fromSpec(`dev:${b64(KEY_2)}`).keyCheckValue()).not.toBe(a.keyCheckValue());
    // The same key under another id has the same value: it identifies the key, the id is the store's label for it.
    expect(Keyring.fromSpec(`other:${b64(KEY_1)}`).keyCheckValue()).toBe(a.keyCheckValue());
    expect(a.keyCheckValue()).not.toContain(KEY_1.toString('hex'));
    expect(a.keyCheckValue()).not.toContain(keyFingerprint(KEY_1));
    expect(a.keyCheckValue()).not.toBe(a.contentHash(Buffer.from('backup-sentinel config-backup key check v1')));
    expect(catchError(() => a.keyCheckValue('nope')).code).toBe('UNKNOWN_KEY_ID');
  });

  it('names the source it was given instead of CONFIG_BACKUP_KEY (a key file)', () => {
    const error = catchError(() => Keyring.fromSpec('dev:not base64 !!', '/srv/.data/dev-key'));
    expect(error.message).toBe('/srv/.data/dev-key is not base64 (found characters outside the alphabet)');
  });

  it('never shows key material when logged or serialised', () => {
    const keyring = Keyring.fromSpec(`a:${b64(KEY_1)},b:${b64(KEY_2)}`);
    const shown = `${inspect(keyring, { showHidden: true, depth: 10 })} ${JSON.stringify(keyring)} ${String(keyring)}`;
    expect(shown).toContain('a');
    for (const key of [KEY_1, KEY_2]) {
      expect(shown).not.toContain(key.toString('base64'));
      expect(shown).not.toContain(key.toString('hex').slice(0, 16));
    }
    expect(JSON.parse(JSON.stringify(keyring))).toEqual({ activeKeyId: 'a', keyIds: ['a', 'b'] });
  });
});
