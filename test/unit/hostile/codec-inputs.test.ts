/**
 * Parsers on the encryption side under hostile input: the CONFIG_BACKUP_KEY keyring syntax (parsed twice: by the
 * keyring and by the codec), envelopes and file attributes from random bytes, Temporal payloads of any shape, the
 * codec endpoint's JSON bodies, and the endpoint itself over HTTP (the one parser facing the network).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigCryptoError, inspectEnvelope, openEnvelope } from '../../../domain/config-backup/crypto.js';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import { Keyring, keyringFromEnv } from '../../../domain/config-backup/keyring.js';
import { codecKeysFromSpec } from '../../../platform/codec/codec-keys.js';
import { startCodecServer, type CodecServer } from '../../../platform/codec/codec-server.js';
import { codecEndpointSettings, CODEC_PORT_ENV } from '../../../platform/codec/endpoint-settings.js';
import {
  ENCRYPTED_ENCODING,
  METADATA_ENCRYPTION_CIPHER,
  METADATA_ENCRYPTION_KEY_ID,
  CODEC_CIPHER,
  SentinelPayloadCodec,
} from '../../../platform/codec/payload-codec.js';
import { codecKeysFromMasterKeys } from '../../../platform/codec/codec-keys.js';
import { PayloadJsonError, payloadsFromJsonBody } from '../../../platform/codec/payload-json.js';
import { anyText, anyValue, concatBytes, nestedJsonText, randomBytes as randomByteArrays, structuredButWrong, tokenSoup } from './arbitraries.js';
import { DEEP_NESTING, HUGE_LINE_BYTES, PER_HUGE_INPUT_MS, RUNS_CHEAP, RUNS_HUGE, RUNS_MEDIUM } from './budgets.js';
import { expectClearOutcome, expectClearOutcomeAsync, hostileParameters } from './expect-clear-error.js';

const KEY_1 = Buffer.alloc(32, 0x11);
const KEY_2 = Buffer.alloc(32, 0x22);
const ring = Keyring.fromKeys([
  { id: 'k1', key: KEY_1 },
  { id: 'k2', key: KEY_2 },
]);

const keySpec = (() => {
  const base64Key = fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => Buffer.from(k).toString('base64')),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => Buffer.from(k).toString('base64url')),
    fc.uint8Array({ maxLength: 40 }).map((k) => Buffer.from(k).toString('base64')),
    anyText(50),
  );
  const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/), anyText(10), fc.constant(''), fc.constant('x'.repeat(40)));
  const entry = fc
    .tuple(fc.boolean(), fc.option(id), base64Key, fc.constantFrom('', ' ', '\t'))
    .map(([star, entryId, key, pad]) => `${pad}${star ? '*' : ''}${entryId === null ? '' : `${entryId}:`}${key}${pad}`);
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(entry, { minLength: 1, maxLength: 4 }).map((entries) => entries.join(',')) },
    { weight: 1, arbitrary: anyText(120) },
    { weight: 1, arbitrary: tokenSoup(10) },
  );
})();

describe('the CONFIG_BACKUP_KEY keyring syntax', () => {
  it(`Keyring.fromSpec and codecKeysFromSpec agree: both build the same ring or both refuse with a ConfigCryptoError (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(keySpec, (spec) => {
        const keyring = expectClearOutcome(() => Keyring.fromSpec(spec), { accept: [ConfigCryptoError] });
        const codecKeys = expectClearOutcome(() => codecKeysFromSpec(spec), { accept: [ConfigCryptoError] });
        expect(codecKeys.ok).toBe(keyring.ok);
        if (keyring.ok && codecKeys.ok) {
          expect(codecKeys.value.keyIds).toEqual(keyring.value.keyIds);
          expect(codecKeys.value.activeKeyId).toBe(keyring.value.activeKeyId);
        }
        if (!keyring.ok)
          for (const secret of spec
            .split(',')
            .map((p) => p.split(':').pop()!.trim())
            .filter((p) => p.length >= 40))
            expect(keyring.error.message).not.toContain(secret);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`keyringFromEnv refuses an unset or blank key as MISSING_KEY (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('CONFIG_BACKUP_KEY', 'OTHER'), fc.oneof(keySpec, fc.constantFrom('', '  '))), (env) => {
        const outcome = expectClearOutcome(() => keyringFromEnv(env), { accept: [ConfigCryptoError] });
        if ((env.CONFIG_BACKUP_KEY ?? '').trim() === '') expect(!outcome.ok && (outcome.error as ConfigCryptoError).code).toBe('MISSING_KEY');
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

describe('envelopes and file attributes from random bytes', () => {
  const header = (id: string, length: number) => {
    const idBytes = Buffer.from(id, 'ascii');
    const b = Buffer.alloc(6 + idBytes.length + 4);
    b.write('SNCB', 0, 'ascii');
    b[4] = 1;
    b[5] = idBytes.length;
    idBytes.copy(b, 6);
    b.writeUInt32BE(length >>> 0, 6 + idBytes.length);
    return b;
  };
  const envelopeLike = fc.oneof(
    randomByteArrays(600),
    fc.tuple(fc.constantFrom('k1', 'k2', 'k9', ''), fc.nat(), randomByteArrays(200)).map(([id, length, rest]) => concatBytes([header(id, length), rest])),
    fc.tuple(fc.constantFrom('k1', 'k2'), randomByteArrays(100)).map(([id, body]) => concatBytes([header(id, Math.max(0, body.length - 28)), body])),
  );

  it(`inspectEnvelope, openEnvelope and openFileMetadata refuse any byte string with a ConfigCryptoError (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(envelopeLike, (bytes) => {
        expectClearOutcome(() => inspectEnvelope(bytes, 'file:/etc/x'), { accept: [ConfigCryptoError] });
        const opened = expectClearOutcome(() => openEnvelope(ring, bytes, 'file:/etc/x'), { accept: [ConfigCryptoError] });
        expect(opened.ok).toBe(false);
        expect(expectClearOutcome(() => openFileMetadata(ring, '/etc/x', bytes), { accept: [ConfigCryptoError] }).ok).toBe(false);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`refuse 5 MB of random bytes quickly (${RUNS_HUGE} inputs)`, () => {
    fc.assert(
      fc.property(fc.constantFrom('random', 'header'), (shape) => {
        const body = randomBytes(HUGE_LINE_BYTES);
        const bytes = shape === 'random' ? body : concatBytes([header('k1', HUGE_LINE_BYTES - 28), body]);
        expect(expectClearOutcome(() => openEnvelope(ring, bytes, 'payload:x'), { accept: [ConfigCryptoError], maxMs: PER_HUGE_INPUT_MS }).ok).toBe(false);
      }),
      hostileParameters(RUNS_HUGE),
    );
  });
});

const jsonPayloadBody = structuredButWrong({
  payloads: fc.array(
    structuredButWrong({
      metadata: fc.dictionary(
        fc.oneof(anyText(10), fc.constantFrom('encoding', METADATA_ENCRYPTION_KEY_ID, METADATA_ENCRYPTION_CIPHER)),
        fc.oneof(fc.base64String({ maxLength: 40 }), anyText(10)),
        { maxKeys: 4 },
      ),
      data: fc.oneof(fc.base64String({ maxLength: 200 }), anyText(20)),
    }),
    { maxLength: 4 },
  ),
});

describe('Temporal payloads of any shape', () => {
  const codec = new SentinelPayloadCodec(
    codecKeysFromMasterKeys([
      { id: 'k1', key: KEY_1 },
      { id: 'k2', key: KEY_2 },
    ]),
  );
  const keyless = new SentinelPayloadCodec(undefined);
  const text = (s: string) => Buffer.from(s, 'utf8');
  const payloadArb = fc.record(
    {
      metadata: fc.record(
        {
          encoding: fc.oneof(fc.constant(text(ENCRYPTED_ENCODING)), fc.constant(text('json/plain')), fc.uint8Array({ maxLength: 20 })),
          [METADATA_ENCRYPTION_KEY_ID]: fc.oneof(fc.constantFrom(text('k1'), text('k2'), text('k9'), text('')), fc.uint8Array({ maxLength: 10 })),
          [METADATA_ENCRYPTION_CIPHER]: fc.oneof(fc.constant(text(CODEC_CIPHER)), fc.uint8Array({ maxLength: 30 })),
        },
        { requiredKeys: [] },
      ),
      data: fc.uint8Array({ maxLength: 400 }),
    },
    { requiredKeys: [] },
  );

  it(`the codec decodes (passes through) or refuses any payload with a ConfigCryptoError, with and without keys (${RUNS_CHEAP} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(payloadArb, async (payload) => {
        for (const c of [codec, keyless]) {
          const outcome = await expectClearOutcomeAsync(() => c.decode([payload]), { accept: [ConfigCryptoError] });
          if (outcome.ok && Buffer.from(payload.metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING) throw new Error('random bytes decrypted');
        }
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`payloadsFromJsonBody reads any JSON value or names the first problem (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.oneof(anyValue(), jsonPayloadBody), (body) => {
        expectClearOutcome(() => payloadsFromJsonBody(body), { accept: [PayloadJsonError] });
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

/** A body as a client would send it; values JSON cannot hold (cycles, bigints, 10,000 levels) become a deep document. */
function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? '';
  } catch {
    return nestedJsonText(DEEP_NESTING, 'mixed');
  }
}

describe('the codec endpoint over HTTP', () => {
  let server: CodecServer;
  beforeAll(async () => {
    const codec = new SentinelPayloadCodec(codecKeysFromMasterKeys([{ id: 'k1', key: KEY_1 }]));
    server = await startCodecServer({
      codec,
      port: 0,
      host: '127.0.0.1',
      allowedOrigins: ['http://127.0.0.1:8233'],
      namespaces: ['default'],
      maxBodyBytes: 1024 * 1024,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const request = fc.record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS', 'DELETE'),
    path: fc.oneof(
      fc.constantFrom(
        '/decode',
        '/encode',
        '/default/decode',
        '/other/encode',
        '/%/decode',
        '/%E0%A4%A/decode',
        '/%zz/encode',
        '//decode/',
        '/decode?x=1',
        '/',
        '/x/y/decode',
      ),
      fc.webPath().map((p) => `/${p.replace(/^\/+/, '')}`),
      fc.tuple(fc.webSegment(), fc.constantFrom('decode', 'encode')).map(([segment, op]) => `/${segment}/${op}`),
    ),
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
    origin: fc.constantFrom(undefined, 'http://127.0.0.1:8233', 'http://evil.example'),
    namespace: fc.constantFrom(undefined, 'default', 'other', ''),
    body: fc.oneof(
      jsonPayloadBody.map(jsonText),
      randomByteArrays(500).map((b) => Buffer.from(b).toString('latin1')),
      tokenSoup(20),
      fc.constant(nestedJsonText(DEEP_NESTING, 'array')),
      fc.constant(`{"payloads":${nestedJsonText(DEEP_NESTING, 'mixed')}}`),
      fc.constant('x'.repeat(1024 * 1024 + 1)),
    ),
  });

  it(`answers every request with a status and a JSON reason, never a 500 (${RUNS_MEDIUM} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, contentType, origin, namespace, body }) => {
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        if (origin) headers.origin = origin;
        if (namespace !== undefined) headers['x-namespace'] = namespace;
        const response = await fetch(`${server.url}${path}`, { method, headers, body: method === 'GET' ? undefined : body });
        const text = await response.text();
        expect([200, 204, 400, 403, 404, 405, 413, 415, 422], `${method} ${path} -> ${response.status} ${text.slice(0, 200)}`).toContain(response.status);
        if (response.status >= 400) expect(typeof (JSON.parse(text) as { error?: unknown }).error).toBe('string');
      }),
      hostileParameters(RUNS_MEDIUM),
    );
  });
});

describe('codec endpoint environment', () => {
  it(`reads ports or names the variable that is wrong (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.oneof(anyText(8), fc.integer({ min: -10, max: 70_000 }).map(String)), (raw) => {
        const outcome = expectClearOutcome(() => codecEndpointSettings({ [CODEC_PORT_ENV]: raw }), { accept: [Error] });
        if (outcome.ok) expect(Number.isInteger(outcome.value.port)).toBe(true);
        else expect(outcome.error.message).toContain(CODEC_PORT_ENV);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});
