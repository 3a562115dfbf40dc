import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './readiness.js';
import { registry } from './telemetry.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` for Prometheus: the project's metrics followed by the Temporal SDK's own, which the SDK core
 * exports on a private loopback port (`sdkMetricsUrl`) and this endpoint republishes so one scrape gets both.
 * Beside it, for orchestrators: `/healthz` (200 while the process serves HTTP) and `/readyz` (200 when `readiness`
 * says ready, else 503; both with the checks as JSON).
 */
export async function startMetricsServer(options: {
  port: number;
  host?: string;
  sdkMetricsUrl?: string | undefined;
  readiness?: () => Promise<Readiness>;
}): Promise<MetricsServer> {
  const server = http.createServer(async (req, res) => {
    const route = req.url?.split('?')[0];
    if (req.method !== 'GET' || (route !== '/metrics' && route !== '/healthz' && route !== '/readyz')) {
      res.writeHead(404).end();
      return;
    }
    if (route === '/healthz') {
      json(res, 200, { status: 'ok' });
      return;
    }
    if (route === '/readyz') {
      const readiness = options.readiness
        ? await options.readiness().catch((error: Error) => notReady(`readiness check failed: ${error.message}`))
        : notReady('no readiness check configured');
      json(res, readiness.status === 'ready' ? 200 : 503, readiness);
      return;
    }
    try {
      const own = await registry.metrics();
      const sdk = options.sdkMetricsUrl
        ? await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) })
            .then((r) => r.text())
            .catch(() => '')
        : '';
      res.writeHead(200, { 'content-type': registry.contentType }).end(`${own}\n${sdk}`);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}

const notReady = (detail: string): Readiness => ({
  status: 'not ready',
  failed: ['worker'],
  checks: { worker: { ok: false, detail }, temporal: { ok: false, detail: 'not checked' }, postgresql: { ok: false, detail: 'not checked' } },
});
