import pg from 'pg';
import { redactSecrets } from './redact.js';

/** What `/readyz` answers: ready only when every check passed; `failed` names the ones that did not. */
export interface Readiness {
  status: 'ready' | 'not ready';
  failed: CheckName[];
  checks: Record<CheckName, { ok: boolean; detail: string }>;
}

export type CheckName = 'worker' | 'temporal' | 'postgresql';

export interface ReadinessProbeOptions {
  /** The worker's state (`Worker.getState()`), or undefined while it is being created. */
  workerState: () => string | undefined;
  /** A cheap call on the worker's own Temporal connection (e.g. GetSystemInfo). */
  temporal: () => Promise<unknown>;
  /** A cheap query on PostgreSQL. */
  postgresql: () => Promise<unknown>;
  /** Each check's budget: an orchestrator probes with a timeout of its own (Compose and Kubernetes default: 1 s+). */
  timeoutMs?: number;
}

/**
 * The worker is ready when it polls its task queue (state RUNNING) and both of its dependencies answer within the
 * budget. Each check runs at most once at a time: probes arriving while one is still waiting share its answer, so a
 * hung server never piles up connections or calls however often the orchestrator asks.
 */
export function readinessProbe(options: ReadinessProbeOptions): () => Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const temporal = singleFlight(options.temporal, timeoutMs, 'Temporal');
  const postgresql = singleFlight(options.postgresql, timeoutMs, 'PostgreSQL');
  return async () => {
    const state = options.workerState();
    const [temporalCheck, postgresqlCheck] = await Promise.all([temporal(), postgresql()]);
    const checks: Readiness['checks'] = {
      worker: state === 'RUNNING' ? { ok: true, detail: 'RUNNING: polling its task queue' } : { ok: false, detail: `${state ?? 'starting'}: not polling` },
      temporal: temporalCheck,
      postgresql: postgresqlCheck,
    };
    const failed = (Object.keys(checks) as CheckName[]).filter((name) => !checks[name].ok);
    return { status: failed.length === 0 ? 'ready' : 'not ready', failed, checks };
  };
}

function singleFlight(probe: () => Promise<unknown>, timeoutMs: number, what: string): () => Promise<{ ok: boolean; detail: string }> {
  let inFlight: Promise<{ ok: boolean; detail: string }> | undefined;
  const once = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([probe(), timeout]);
      return { ok: true, detail: `${what} answered` };
    } catch (error) {
      return { ok: false, detail: redactSecrets((error as Error).message || String(error)) };
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    inFlight ??= once().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/**
 * `SELECT 1` on a connection of its own (a pool of one), so a busy worker whose pool is fully checked out by
 * activities still reports the database truthfully. A query that hangs destroys its connection; the next probe
 * opens a fresh one.
 */
export function postgresqlProbe(url: string, timeoutMs = 2000): { check: () => Promise<void>; close: () => Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: timeoutMs, idleTimeoutMillis: 60_000 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    async check() {
      const client = await pool.connect();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.query('SELECT 1'),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        client.release();
      } catch (error) {
        client.release(true); // drop it: it may still be waiting for an answer
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => pool.end(),
  };
}
