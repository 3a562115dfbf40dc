/**
 * An example of another service using Backup Sentinel: a deploy service that gates a database migration on a
 * fresh backup. POST /deploys/:target starts (or finds) the pre-backup run for this deploy; GET /runs/:id reports
 * its state; POST /runs/:id/approve lets the release manager answer a high-risk gate.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx examples/deploy-service.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SentinelClient } from '../client/index.js';

export async function startDeployService(options: { port?: number; sentinel?: SentinelClient } = {}) {
  const sentinel = options.sentinel ?? (await SentinelClient.connect());
  const server = http.createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = req.method === 'POST' ? await readJson(req) : {};
      const deploy = /^\/deploys\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'POST' && deploy) {
        // The deploy's own ID pins the scheduled time, so a retried request finds the same run, not a second backup.
        const run = await sentinel.startPreBackup(
          { target: decodeURIComponent(deploy[1]!) },
          { scheduledAt: String(body.deployId ?? new Date().toISOString()) },
        );
        return reply(run.alreadyStarted ? 200 : 202, run);
      }
      const run = /^\/runs\/(.+?)(\/approve)?$/.exec(url.pathname);
      if (run && req.method === 'GET' && !run[2]) return reply(200, await sentinel.status(decodeURIComponent(run[1]!)));
      if (run && req.method === 'POST' && run[2])
        return reply(200, await sentinel.approve(decodeURIComponent(run[1]!), { by: String(body.by ?? 'release-manager'), reason: String(body.reason ?? '') }));
      return reply(404, { error: 'not found' });
    } catch (error) {
      return reply(500, { error: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      if (!options.sentinel) await sentinel.close();
    },
  };
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const service = await startDeployService({ port: Number(process.env.PORT ?? 3100) });
  process.stdout.write(`deploy service on ${service.url}\n`);
}
