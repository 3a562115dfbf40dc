import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TemporalCluster } from './temporal-cluster.js';

/**
 * The cluster's server process belongs to the process that started it (vitest's global setup): a test file, in a
 * forked vitest worker, asks that owner over loopback HTTP to SIGKILL it and start it again, so the restarted
 * server outlives the test file and is stopped by the owner at the end of the run.
 */
export async function serveClusterControl(cluster: TemporalCluster): Promise<{ url: string; close(): Promise<void> }> {
  let busy: Promise<unknown> = Promise.resolve();
  const server = http.createServer((request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const actions: Record<string, () => Promise<unknown>> = {
      'POST /kill': async () => ({ killedPid: await cluster.kill() }),
      'POST /restart': async () => {
        await cluster.restart();
        return { pid: cluster.pid() };
      },
      'GET /status': async () => ({ pid: cluster.pid() ?? null }),
    };
    const action = actions[`${request.method} ${request.url}`];
    if (!action) return reply(404, { error: `unknown control request ${request.method} ${request.url}` });
    // One at a time: a restart racing a kill would leave two servers on the same ports.
    busy = busy.then(action).then(
      (body) => reply(200, body),
      (error: Error) => reply(500, { error: error.message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ClusterControl {
  /** SIGKILLs the server process; resolves with its pid once it is gone. */
  kill(): Promise<number>;
  /** Starts it again on the same databases and ports; resolves once it answers over mTLS. */
  restart(): Promise<number>;
  pid(): Promise<number | null>;
}

export function clusterControl(url: string): ClusterControl {
  const call = async <T>(method: string, route: string): Promise<T> => {
    const response = await fetch(`${url}${route}`, { method, signal: AbortSignal.timeout(300_000) });
    const body = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`cluster control ${route}: ${body.error}`);
    return body;
  };
  return {
    kill: async () => (await call<{ killedPid: number }>('POST', '/kill')).killedPid,
    restart: async () => (await call<{ pid: number }>('POST', '/restart')).pid,
    pid: async () => (await call<{ pid: number | null }>('GET', '/status')).pid,
  };
}
