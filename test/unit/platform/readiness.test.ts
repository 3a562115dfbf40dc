import { afterEach, describe, expect, it } from 'vitest';
import { readinessProbe } from '../../../platform/readiness.js';
import { startMetricsServer, type MetricsServer } from '../../../platform/telemetry-server.js';

const ok = () => Promise.resolve();

describe('readinessProbe', () => {
  it('is ready only while the worker is RUNNING and both dependencies answer', async () => {
    let state: string | undefined;
    const probe = readinessProbe({ workerState: () => state, temporal: ok, postgresql: ok });
    expect(await probe()).toMatchObject({ status: 'not ready', failed: ['worker'], checks: { worker: { ok: false, detail: 'starting: not polling' } } });
    state = 'RUNNING';
    expect(await probe()).toMatchObject({ status: 'ready', failed: [] });
    state = 'DRAINING';
    expect((await probe()).failed).toEqual(['worker']);
  });

  it('names the failed dependency with its error, secrets redacted', async () => {
    const probe = readinessProbe({
      workerState: () => 'RUNNING',
      temporal: ok,
      postgresql: () => Promise.reject(new Error('connect to postgres://sentinel:hunter2-secret@db:5432/x refused')),
    });
    const result = await probe();
    expect(result.failed).toEqual(['postgresql']);
    expect(result.checks.postgresql.detail).toContain('refused');
    expect(result.checks.postgresql.detail).not.toContain('hunter2-secret');
  });

  it('a dependency that hangs fails after the budget, and concurrent probes share one call', async () => {
    let calls = 0;
    const probe = readinessProbe({
      workerState: () => 'RUNNING',
      temporal: () => {
        calls += 1;
        return new Promise(() => undefined);
      },
      postgresql: ok,
      timeoutMs: 100,
    });
    const [a, b, c] = await Promise.all([probe(), probe(), probe()]);
    expect(calls).toBe(1);
    for (const r of [a, b, c]) {
      expect(r.failed).toEqual(['temporal']);
      expect(r.checks.temporal.detail).toBe('Temporal did not answer within 100 ms');
    }
    await probe();
    expect(calls).toBe(2); // a new probe after the last one settled calls again
  });
});

describe('the metrics server health routes', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('/healthz is 200 whatever readiness says; /readyz follows it with a JSON body', async () => {
    let running = false;
    server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      readiness: readinessProbe({ workerState: () => (running ? 'RUNNING' : 'INITIALIZED'), temporal: ok, postgresql: ok }),
    });
    const url = (route: string) => `http://127.0.0.1:${server!.port}${route}`;
    expect((await fetch(url('/healthz'))).status).toBe(200);
    const notReady = await fetch(url('/readyz'));
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('content-type')).toBe('application/json');
    expect(await notReady.json()).toMatchObject({ status: 'not ready', failed: ['worker'] });
    running = true;
    const ready = await fetch(url('/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect((await fetch(url('/nope'))).status).toBe(404);
  });

  it('/readyz is 503 when no readiness check is configured', async () => {
    server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    expect((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status).toBe(503);
  });
});
