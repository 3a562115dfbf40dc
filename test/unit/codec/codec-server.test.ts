import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecKeysFromMasterKeys } from '../../../platform/codec/codec-keys.js';
import { CodecServerConfigError, isLoopback, startCodecServer, type CodecServer } from '../../../platform/codec/codec-server.js';
import { SentinelPayloadCodec } from '../../../platform/codec/payload-codec.js';
import { payloadToJson, type JsonPayload } from '../../../platform/codec/payload-json.js';

const UI = 'http://127.0.0.1:8233';
const TOKEN = 'codec-token-for-tests';
const codec = new SentinelPayloadCodec(codecKeysFromMasterKeys([{ id: 'k1', key: Buffer.alloc(32, 7) }]));

let server: CodecServer;
const warnings: object[] = [];

beforeAll(async () => {
  server = await startCodecServer({
    codec,
    port: 0,
    token: TOKEN,
    allowedOrigins: [UI],
    namespaces: ['default'],
    maxBodyBytes: 64 * 1024,
    log: { info: () => undefined, warn: (details) => void warnings.push(details) },
  });
});
afterAll(async () => server?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const asJson = (value: unknown) => payloadToJson(defaultPayloadConverter.toPayload(value));

describe('codec endpoint (in-process HTTP)', () => {
  it('encodes then decodes over HTTP, in the protocol JSON shape', async () => {
    const encoded = await post('/encode', { payloads: [asJson({ reason: 'hunter2' }), asJson(7)] }, { 'X-Namespace': 'default' });
    expect(encoded.status).toBe(200);
    const { payloads } = (await encoded.json()) as { payloads: JsonPayload[] };
    expect(payloads).toHaveLength(2);
    expect(Buffer.from(payloads[0]!.metadata!.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(JSON.stringify(payloads)).not.toContain(Buffer.from('hunter2').toString('base64'));

    const decoded = await post('/decode', { payloads });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('cache-control')).toBe('no-store');
    const back = (await decoded.json()) as { payloads: JsonPayload[] };
    expect(back.payloads).toEqual([asJson({ reason: 'hunter2' }), asJson(7)]);
  });

  it('accepts an endpoint configured with a trailing slash (//decode)', async () => {
    expect((await post('//decode', { payloads: [asJson(1)] })).status).toBe(200);
  });

  it('refuses a missing or wrong bearer token', async () => {
    const none = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"payloads":[]}' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post('/decode', { payloads: [] }, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/decode', { payloads: [] }, { Authorization: TOKEN })).status).toBe(401);
  });

  it('answers the Web UI preflight and refuses other origins', async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');

    const evil = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post('/decode', { payloads: [] }, { Origin: 'https://evil.example' })).status).toBe(403);

    const fromUi = await post('/decode', { payloads: [] }, { Origin: UI });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
  });

  it('serves only its namespaces, named by X-Namespace or by a /<namespace>/decode path', async () => {
    expect((await post('/decode', { payloads: [] }, { 'X-Namespace': 'other' })).status).toBe(403);
    expect((await post('/decode', { payloads: [] }, { 'X-Namespace': 'default' })).status).toBe(200);
    expect((await post('/default/decode', { payloads: [asJson(1)] })).status).toBe(200);
    expect((await post('/other/decode', { payloads: [] })).status).toBe(403);
    expect((await post('/a/b/decode', { payloads: [] })).status).toBe(404);
  });

  it('rejects bad requests with a reason', async () => {
    const cases: Array<[Promise<Response>, number, RegExp]> = [
      [post('/other', { payloads: [] }), 404, /no such endpoint/],
      [fetch(`${server.url}/decode`, { headers: { Authorization: `Bearer ${TOKEN}` } }), 405, /use POST/],
      [post('/decode', '{"payloads":[]}', { 'Content-Type': 'text/plain' }), 415, /application\/json/],
      [post('/decode', '{not json'), 400, /not valid JSON/],
      [post('/decode', { payload: [] }), 400, /"payloads" array/],
      [post('/decode', { payloads: [{ data: 'not base64!' }] }), 400, /payloads\[0\]\.data must be a base64 string/],
      [post('/decode', { payloads: [{ metadata: { encoding: 5 } }] }), 400, /payloads\[0\]\.metadata\.encoding/],
      [post('/decode', { payloads: [{ data: 'A'.repeat(80 * 1024) }] }), 413, /larger than 65536 bytes/],
    ];
    for (const [request, status, reason] of cases) {
      const response = await request;
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(reason);
    }
  });

  it('reports a payload it cannot decrypt as 422 with the codec error, without logging the data', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const tampered = Buffer.from(sealed!.data!);
    tampered[20]! ^= 1;
    const response = await post('/decode', { payloads: [payloadToJson({ ...sealed!, data: tampered })] });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: string }).error).toContain('authentication failed');
    expect(JSON.stringify(warnings)).not.toContain(tampered.toString('base64'));
  });
});

describe('codec endpoint start-up rules', () => {
  it('refuses a non-loopback address without a token', async () => {
    await expect(startCodecServer({ codec, host: '0.0.0.0', port: 0 })).rejects.toThrow(CodecServerConfigError);
    await expect(startCodecServer({ codec, host: '0.0.0.0', port: 0 })).rejects.toThrow(/SENTINEL_CODEC_TOKEN/);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.5')).toBe(false);
    expect(isLoopback('0.0.0.0')).toBe(false);
  });

  it('names the port when it is taken', async () => {
    await expect(startCodecServer({ codec, port: server.port })).rejects.toThrow(`127.0.0.1:${server.port} is already in use`);
  });
});
