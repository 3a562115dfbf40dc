import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './telemetry.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` for Prometheus: the project's metrics followed by the Temporal SDK's own, which the SDK core
 * exports on a private loopback port (`sdkMetricsUrl`) and this endpoint republishes so one scrape gets both.
 */
export async function startMetricsServer(options: { port: number; host?: string; sdkMetricsUrl?: string | undefined }): Promise<MetricsServer> {
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
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
