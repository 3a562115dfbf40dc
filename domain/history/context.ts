import type { BackupRunRecord, HistoricalContext } from './types.js';

/** Windows used for the historical context shown with every prediction (documented in docs/pre-backup-gate.md). */
export const CONTEXT_WINDOW_RUNS = 20;
export const RECENT_FAILURE_RUNS = 5;

/** Summarises a target's finished runs (any order) as seen at `now`: only runs that ended before `now` count. */
export function historicalContext(runs: readonly BackupRunRecord[], now: Date): HistoricalContext {
  const past = runs
    .filter((r) => r.startedAt.getTime() + r.durationSeconds * 1000 <= now.getTime())
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const window = past.slice(0, CONTEXT_WINDOW_RUNS);
  if (window.length === 0)
    return { successRate: null, recentFailures: 0, typicalDurationSeconds: null, typicalSizeBytes: null, runCount: 0, hoursSinceLastSuccess: null };
  const successes = window.filter((r) => r.status === 'completed');
  const lastSuccess = past.find((r) => r.status === 'completed');
  return {
    successRate: successes.length / window.length,
    recentFailures: window.slice(0, RECENT_FAILURE_RUNS).filter((r) => r.status === 'failed').length,
    typicalDurationSeconds: median(successes.map((r) => r.durationSeconds)),
    typicalSizeBytes: median(successes.map((r) => r.sizeBytes)),
    runCount: window.length,
    hoursSinceLastSuccess: lastSuccess ? (now.getTime() - (lastSuccess.startedAt.getTime() + lastSuccess.durationSeconds * 1000)) / 3_600_000 : null,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
