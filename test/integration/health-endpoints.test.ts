import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../platform/dev-server.js';
import type { Readiness } from '../../platform/readiness.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// The worker process as an orchestrator sees it: its /healthz and /readyz beside /metrics, with PostgreSQL and
// Temporal each behind a proxy this test cuts (the servers themselves stay up for the other tests).
let h: Harness;
let pgProxy: TcpProxy;
let temporalProxy: TcpProxy;
let worker: WorkerProcess;
let port: number;

const get = async (route: string) => {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Readiness & { status: string } };
};

beforeAll(async () => {
  h = await createHarness('health');
  await mkdir(h.backupDir, { recursive: true });
  await h.writeConfig({ targets: [{ name: 'health-cmd', kind: 'command', command: 'true' }] });
  const pgUrl = new URL(h.databaseUrl);
  pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const [temporalHost, temporalPort] = h.temporalAddress.split(':');
  temporalProxy = await startTcpProxy({ host: temporalHost!, port: Number(temporalPort) });
  port = await freePort();
  worker = spawnWorkerProcess({
    name: 'health-worker',
    temporalAddress: `127.0.0.1:${temporalProxy.port}`,
    taskQueue: h.taskQueue,
    databaseUrl: pgProxy.rewrite(h.databaseUrl),
    configPath: h.configPath,
    backupDir: h.backupDir,
    dataDir: h.dir,
    logFile: path.join(h.dir, 'worker.log'),
    env: { SENTINEL_METRICS_PORT: String(port) },
  });
  await worker.ready;
});

afterAll(async () => {
  await worker?.stop(5_000);
  await pgProxy?.close();
  await temporalProxy?.close();
  await h?.close();
});

describe('worker health endpoints', () => {
  it('is ready once it polls its task queue with Temporal and PostgreSQL answering', async () => {
    const ready = await eventually(async () => {
      const r = await get('/readyz');
      return r.status === 200 ? r : undefined;
    });
    expect(ready.body).toMatchObject({
      status: 'ready',
      failed: [],
      checks: { worker: { ok: true }, temporal: { ok: true }, postgresql: { ok: true } },
    });
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
  });

  it('answers 503 naming PostgreSQL while the database is unreachable, stays live, and recovers', async () => {
    pgProxy.cut();
    try {
      const down = await eventually(async () => {
        const r = await get('/readyz');
        return r.status === 503 ? r : undefined;
      });
      expect(down.body.status).toBe('not ready');
      expect(down.body.failed).toEqual(['postgresql']);
      expect(down.body.checks.postgresql.ok).toBe(false);
      expect(down.body.checks.postgresql.detail).not.toBe('');
      expect(down.body.checks.temporal.ok).toBe(true);
      expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    } finally {
      pgProxy.restore();
    }
    await eventually(async () => (await get('/readyz')).status === 200, 30_000, 250);
    expect(worker.hasExited()).toBe(false);
  });

  it('answers 503 naming Temporal while the server is unreachable, and recovers', async () => {
    temporalProxy.cut();
    try {
      const down = await eventually(async () => {
        const r = await get('/readyz');
        return r.status === 503 ? r : undefined;
      });
      expect(down.body.failed).toContain('temporal');
      expect(down.body.failed).not.toContain('postgresql');
      expect(down.body.checks.temporal.ok).toBe(false);
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      temporalProxy.restore();
    }
    await eventually(async () => (await get('/readyz')).status === 200, 60_000, 500);
  });
});
