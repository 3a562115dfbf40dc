import type { TargetConfig } from '../settings/schema.js';
import { scheduleIntervalMs } from '../settings/schedule-interval.js';

/**
 * A target's freshness objective (its RPO): the `maxAge` it declares, else twice its schedule's interval (one
 * missed run is tolerated, two are not), else none. Pure.
 */
export interface FreshnessObjective {
  target: string;
  /** Null: the target has no objective (no maxAge and no schedule) and is never stale. */
  maxAgeMs: number | null;
  source: 'config' | 'schedule' | 'none';
  /** Longest gap between two scheduled runs (domain/settings/schedule-interval.ts); null without a schedule. */
  scheduleIntervalMs: number | null;
  /** Set when the declared maxAge is shorter than the schedule interval: stale between two on-time runs. */
  warning: string | null;
}

export function freshnessObjective(target: Pick<TargetConfig, 'name' | 'maxAge' | 'schedule'>): FreshnessObjective {
  const interval = target.schedule === undefined ? undefined : scheduleIntervalMs(target.schedule);
  const scheduleIntervalMsValue = interval ?? null;
  if (target.maxAge !== undefined) {
    const warning =
      interval !== undefined && target.maxAge < interval
        ? `target "${target.name}": maxAge ${formatDuration(target.maxAge)} is shorter than its schedule interval ${formatDuration(interval)}: it will be reported stale between two on-time runs`
        : null;
    return { target: target.name, maxAgeMs: target.maxAge, source: 'config', scheduleIntervalMs: scheduleIntervalMsValue, warning };
  }
  if (interval !== undefined) return { target: target.name, maxAgeMs: 2 * interval, source: 'schedule', scheduleIntervalMs: interval, warning: null };
  return { target: target.name, maxAgeMs: null, source: 'none', scheduleIntervalMs: null, warning: null };
}

/** Settings that are valid but probably not meant (warn, never refuse): one line each, naming the target. */
export function settingsWarnings(settings: { targets: readonly TargetConfig[] }): string[] {
  return settings.targets.flatMap((target) => freshnessObjective(target).warning ?? []);
}

/** `26h` -> `1d2h`, `90s` -> `1m30s`: the largest unit and the next one (when not zero), for messages and tables. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const total = Math.round(Math.abs(ms) / 1000);
  const units = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const;
  const index = units.findIndex(([, seconds]) => total >= seconds);
  if (index < 0) return '0s';
  const [unit, seconds] = units[index]!;
  let text = `${sign}${Math.floor(total / seconds)}${unit}`;
  const next = units[index + 1];
  if (next) {
    const rest = Math.floor((total % seconds) / next[1]);
    if (rest > 0) text += `${rest}${next[0]}`;
  }
  return text;
}
