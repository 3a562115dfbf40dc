/** Environment of the codec endpoint (`sentinel codec-server`, `npm start`). Documented in docs/payload-encryption.md. */
import { DEFAULT_UI_PORT } from '../env.js';
import { DEFAULT_CODEC_PORT } from './codec-server.js';

export const CODEC_TOKEN_ENV = 'SENTINEL_CODEC_TOKEN';
export const CODEC_PORT_ENV = 'SENTINEL_CODEC_PORT';

export interface CodecEndpointSettings {
  port: number;
  token: string | undefined;
  /** Origins of the local Web UI (`SENTINEL_UI_PORT`, default 8233), by IP and by name. */
  allowedOrigins: string[];
}

export function codecEndpointSettings(env: Readonly<Record<string, string | undefined>> = process.env): CodecEndpointSettings {
  const token = env[CODEC_TOKEN_ENV]?.trim() || undefined;
  return {
    port: portFrom(env[CODEC_PORT_ENV], CODEC_PORT_ENV, DEFAULT_CODEC_PORT),
    token,
    allowedOrigins: webUiOrigins(portFrom(env.SENTINEL_UI_PORT, 'SENTINEL_UI_PORT', DEFAULT_UI_PORT)),
  };
}

export function webUiOrigins(uiPort: number): string[] {
  return [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
}

export function portFrom(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name} must be a port number 0-65535 (got "${raw}")`);
  return port;
}
