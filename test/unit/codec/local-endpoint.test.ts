import { describe, expect, it } from 'vitest';
import { codecEndpointSettings } from '../../../platform/codec/endpoint-settings.js';
import { startLocalCodecEndpoint } from '../../../platform/codec/local-endpoint.js';

const KEY = `k1:${Buffer.alloc(32, 3).toString('base64')}`;

describe('the codec endpoint npm start runs', () => {
  it('is not started without CONFIG_BACKUP_KEY, and says so', async () => {
    const endpoint = await startLocalCodecEndpoint({ env: {}, uiPort: 8233, namespace: 'default' });
    expect(endpoint.server).toBeUndefined();
    expect(endpoint.note).toBe('CONFIG_BACKUP_KEY is not set: Temporal payloads are not encrypted and no codec endpoint runs');
  });

  it('listens on loopback at SENTINEL_CODEC_PORT and lets only the local Web UI origin in', async () => {
    const endpoint = await startLocalCodecEndpoint({ env: { CONFIG_BACKUP_KEY: KEY, SENTINEL_CODEC_PORT: '0' }, uiPort: 18233, namespace: 'default' });
    try {
      expect(endpoint.server!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(endpoint.note).toBe(`Codec endpoint: ${endpoint.server!.url}, key id k1; the Web UI decodes payloads through it`);
      const preflight = (origin: string) => fetch(`${endpoint.server!.url}/decode`, { method: 'OPTIONS', headers: { Origin: origin } });
      expect((await preflight('http://localhost:18233')).status).toBe(204);
      expect((await preflight('http://127.0.0.1:18233')).status).toBe(204);
      expect((await preflight('http://127.0.0.1:8233')).status).toBe(403);
    } finally {
      await endpoint.server?.close();
    }
  });

  it('throws on a malformed key instead of running unencrypted', async () => {
    await expect(startLocalCodecEndpoint({ env: { CONFIG_BACKUP_KEY: 'abc' }, uiPort: 8233, namespace: 'default' })).rejects.toThrow(/exactly 32 bytes/);
  });

  it('reads port, token and UI origins from the environment, rejecting a bad port', () => {
    expect(codecEndpointSettings({})).toEqual({ port: 8888, token: undefined, allowedOrigins: ['http://127.0.0.1:8233', 'http://localhost:8233'] });
    expect(codecEndpointSettings({ SENTINEL_CODEC_PORT: '9999', SENTINEL_CODEC_TOKEN: ' t ', SENTINEL_UI_PORT: '3000' })).toEqual({
      port: 9999,
      token: 't',
      allowedOrigins: ['http://127.0.0.1:3000', 'http://localhost:3000'],
    });
    expect(() => codecEndpointSettings({ SENTINEL_CODEC_PORT: 'http' })).toThrow('SENTINEL_CODEC_PORT must be a port number 0-65535 (got "http")');
  });
});
