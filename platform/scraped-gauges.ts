import { Gauge } from 'prom-client';
import { registry } from './telemetry.js';

/**
 * Gauges whose values are read from PostgreSQL when Prometheus scrapes: every worker serves the same values (an
 * activity-refreshed gauge would differ between workers), and one snapshot is reused for `ttlMs` so a scrape storm
 * costs one set of queries. A failed read serves the previous snapshot (and is reported to the caller's `onError`):
 * a scrape never fails because the database hiccups. Before `install` is called the gauges serve `empty`.
 */
export interface ScrapedGauges<T> {
  /** Called once by the worker process that serves /metrics. */
  install(snapshot: () => Promise<T>, options?: { ttlMs?: number; onError?: (error: Error) => void }): void;
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, snapshot: T) => void): Gauge<L>;
}

export function scrapedGauges<T>(empty: T): ScrapedGauges<T> {
  let source: { snapshot: () => Promise<T>; ttlMs: number; onError: (error: Error) => void } | undefined;
  let cached: { at: number; value: Promise<T> } | undefined;
  let lastGood = empty;

  async function current(): Promise<T> {
    if (!source) return empty;
    const { snapshot, ttlMs, onError } = source;
    if (!cached || Date.now() - cached.at > ttlMs) {
      const value = snapshot().then(
        (fresh) => (lastGood = fresh),
        (error: Error) => {
          onError(error);
          cached = undefined; // try again at the next scrape
          return lastGood;
        },
      );
      cached = { at: Date.now(), value };
    }
    return cached.value;
  }

  return {
    install(snapshot, options = {}) {
      source = { snapshot, ttlMs: options.ttlMs ?? 15_000, onError: options.onError ?? (() => undefined) };
      cached = undefined;
      lastGood = empty;
    },
    gauge(name, help, labelNames, fill) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          const snapshot = await current();
          this.reset();
          fill(this, snapshot);
        },
      });
    },
  };
}
