/**
 * The codec endpoint: an HTTP server speaking the Temporal codec server protocol, so the Temporal Web UI (and
 * `temporal` CLI users) can show decoded payloads to operators.
 *
 *   POST /decode, POST /encode   body and answer `{ "payloads": [{ "metadata": { k: base64 }, "data": base64 }] }`
 *                                (also under `/<namespace>/...`, for endpoints templated with `{namespace}`)
 *   OPTIONS                      CORS preflight from the Web UI's origin
 *
 * This server holds the key and hands out plaintext to whoever can reach it, so by default it listens on loopback
 * only; any other address needs a bearer token (`Authorization: Bearer <token>`) unless the caller explicitly opts
 * out (behind an authenticating proxy). Requests from browser origins that are not allowed are refused outright
 * (not merely left without CORS headers), and bodies must be `application/json`, which a cross-site form cannot
 * send without a preflight. Payload contents are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { ConfigCryptoError } from '../../domain/config-backup/errors.js';
import { PayloadJsonError, payloadsFromJsonBody, payloadToJson } from './payload-json.js';

export const DEFAULT_CODEC_PORT = 8888;
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

export interface CodecServerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 picks a free port. Default 8888. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every encode/decode request must carry `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Browser origins allowed to call (the Web UI's, e.g. `http://127.0.0.1:8233`). Requests without Origin are not browsers. */
  allowedOrigins?: readonly string[];
  /** When set, a request whose `X-Namespace` names another namespace is refused. */
  namespaces?: readonly string[] | undefined;
  /** Listen on a non-loopback address without a token (only behind an authenticating proxy). */
  allowRemoteWithoutToken?: boolean;
  maxBodyBytes?: number;
  log?: CodecServerLog | undefined;
}

export interface CodecServer {
  /** Base URL to give the Web UI (`--ui-codec-endpoint`). */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export class CodecServerConfigError extends Error {
  override readonly name = 'CodecServerConfigError';
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token === undefined || options.token === '' ? undefined : options.token;
  if (!isLoopback(host) && !token && !options.allowRemoteWithoutToken) {
    throw new CodecServerConfigError(`refusing to serve decrypted payloads on ${host} without a token: set SENTINEL_CODEC_TOKEN, or listen on 127.0.0.1`);
  }
  const handler = requestHandler({ ...options, token, allowedOrigins: new Set(options.allowedOrigins ?? []) });
  const server = http.createServer((req, res) => {
    handler(req, res).catch((error: Error) => {
      options.log?.warn({ err: error.message }, 'codec endpoint request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new CodecServerConfigError(`codec endpoint: ${host}:${options.port ?? DEFAULT_CODEC_PORT} is already in use`) : error,
      ),
    );
    server.listen(options.port ?? DEFAULT_CODEC_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.log?.info({ url, tokenRequired: Boolean(token) }, 'codec endpoint listening');
  return {
    url,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Settings = Omit<CodecServerOptions, 'allowedOrigins'> & { allowedOrigins: ReadonlySet<string> };

function requestHandler(settings: Settings) {
  const maxBodyBytes = settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const refuse = (res: http.ServerResponse, status: number, why: string, headers: Record<string, string> = {}) => {
    settings.log?.warn({ status, reason: why }, 'codec endpoint refused a request');
    send(res, status, { error: why }, headers);
  };

  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!settings.allowedOrigins.has(origin)) return refuse(res, 403, `origin ${origin} is not allowed`);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    const path = (req.url ?? '/')
      .split('?')[0]!
      .replace(/\/+/g, '/')
      .replace(/(.)\/$/, '$1');
    // `/decode`, or `/<namespace>/decode` for endpoints templated with {namespace} (temporal CLI --codec-endpoint).
    const route = /^(?:\/([^/]+))?\/(encode|decode)$/.exec(path);
    const operation = route?.[2] as 'encode' | 'decode' | undefined;

    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('Access-Control-Allow-Private-Network', 'true');
      res.writeHead(204).end();
      return;
    }
    if (!operation) return refuse(res, 404, `no such endpoint ${path}; use POST /encode or POST /decode`);
    if (req.method !== 'POST') return refuse(res, 405, `${req.method} not allowed; use POST`, { Allow: 'POST, OPTIONS' });
    if (settings.token && !bearerMatches(req.headers.authorization, settings.token)) {
      return refuse(res, 401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer realm="sentinel-codec"' });
    }
    const header = req.headers['x-namespace'];
    let pathNamespace: string | undefined;
    try {
      pathNamespace = route?.[1] && decodeURIComponent(route[1]);
    } catch {
      return refuse(res, 400, 'the namespace in the path is not valid percent-encoding');
    }
    for (const namespace of [typeof header === 'string' ? header : undefined, pathNamespace]) {
      if (settings.namespaces && namespace && !settings.namespaces.includes(namespace)) {
        return refuse(res, 403, `namespace ${namespace} is not served here (serving: ${settings.namespaces.join(', ')})`);
      }
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return refuse(res, 415, 'Content-Type must be application/json');

    const raw = await readBody(req, maxBodyBytes);
    if (raw === undefined) return refuse(res, 413, `body larger than ${maxBodyBytes} bytes`);
    let payloads;
    try {
      payloads = payloadsFromJsonBody(JSON.parse(raw.toString('utf8')));
    } catch (error) {
      return refuse(res, 400, error instanceof PayloadJsonError ? error.message : 'body is not valid JSON');
    }
    try {
      const result = operation === 'encode' ? await settings.codec.encode(payloads) : await settings.codec.decode(payloads);
      send(res, 200, { payloads: result.map(payloadToJson) });
    } catch (error) {
      if (error instanceof ConfigCryptoError) return refuse(res, 422, error.message);
      throw error;
    }
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store', ...headers });
  res.end(json);
}

/** The body, or undefined once it exceeds `limit` (the rest is drained, not buffered). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  // Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
