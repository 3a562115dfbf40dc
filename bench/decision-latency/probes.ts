import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { activityDurationSeconds } from '../../platform/telemetry.js';
import { dbQueryCounts } from './db-probe.js';
import { round } from './stats.js';

/** What the worker's own probes saw during one phase: its event loop's delay and the time each activity type took. */
export interface PhaseProbes {
  /**
   * Delay of the bench process's event loop (the worker's main thread: activities, local activities, the SDK's
   * bridge to its core), sampled every 10 ms (perf_hooks.monitorEventLoopDelay). A synchronous call such as
   * child_process.spawn shows up here as delay.
   */
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number };
  /**
   * From the worker's own activity histogram (sentinel_activity_duration_seconds): mean ms and count per type, and
   * PostgreSQL round trips per call (db-probe.ts).
   */
  activities: Record<string, { count: number; meanMs: number; dbQueriesPerCall?: number }>;
}

const RESOLUTION_MS = 10;

type ActivitySums = Map<string, { count: number; sum: number }>;

async function activitySums(): Promise<ActivitySums> {
  const sums: ActivitySums = new Map();
  for (const value of (await activityDurationSeconds.get()).values) {
    const activity = String(value.labels.activity ?? '');
    const entry = sums.get(activity) ?? { count: 0, sum: 0 };
    if (value.metricName?.endsWith('_count')) entry.count += value.value;
    else if (value.metricName?.endsWith('_sum')) entry.sum += value.value;
    sums.set(activity, entry);
  }
  return sums;
}

/** Starts probing; the returned function stops and reports. */
export async function startProbes(): Promise<() => Promise<PhaseProbes>> {
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const before = await activitySums();
  const queriesBefore = dbQueryCounts();
  loop.enable();
  return async () => {
    loop.disable();
    const after = await activitySums();
    const queriesAfter = dbQueryCounts();
    const activities: PhaseProbes['activities'] = {};
    for (const [activity, total] of after) {
      const earlier = before.get(activity) ?? { count: 0, sum: 0 };
      const count = total.count - earlier.count;
      const queries = (queriesAfter.get(activity) ?? 0) - (queriesBefore.get(activity) ?? 0);
      if (count > 0)
        activities[activity] = { count, meanMs: round(((total.sum - earlier.sum) * 1000) / count, 2), dbQueriesPerCall: round(queries / count, 2) };
    }
    // The histogram holds the time between samples, so the sampling interval itself is taken off: 0 = no delay.
    const ms = (ns: number) => round(Math.max(0, ns / 1e6 - RESOLUTION_MS), 2);
    return {
      eventLoopDelayMs: { mean: ms(loop.mean), p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      activities,
    };
  };
}
