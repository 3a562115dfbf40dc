/**
 * Retention with `restic forget` semantics. Pure: safe to import from workflow code (pass `now`-free data only).
 *
 *  - Snapshots are grouped (group = item identity) and every group is judged on its own.
 *  - Within a group, newest first, each `keep-*` count is consumed independently: keep-last keeps the N newest;
 *    keep-daily keeps the newest snapshot of each of the N most recent days that have snapshots; likewise hourly,
 *    weekly (ISO weeks, Monday to Sunday), monthly, yearly. A snapshot is kept if any rule keeps it, and every
 *    rule that keeps it is listed as a reason (`last #1`, `daily 2026-11-20`, `weekly 2026-W47`).
 *  - Calendar buckets are computed in ONE explicit IANA time zone (default UTC), never the host's local zone.
 *  - An empty policy removes nothing (restic refuses to act on one for the same reason).
 *  - A count of `Infinity` means unlimited (restic's `unlimited`).
 *  - `within` (milliseconds) keeps every snapshot taken less than that long before the group's NEWEST snapshot
 *    (restic `--keep-within`: measured from the latest snapshot, not from now, so the result needs no clock).
 *  - `keepOldestWhenShort` (off by default) adds restic >= 0.17's rule: when a calendar rule still has count left
 *    after the newest-first pass, the group's oldest snapshot is kept too (`oldest daily 2026-11-01`).
 */
import { assertTimeZone, calendarParts, isoWeek, pad } from './calendar.js';

export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Milliseconds before the group's newest snapshot within which every snapshot is kept (`--keep-within`). */
  within?: number;
}

export interface RetentionOptions {
  /** IANA zone for calendar buckets; default `UTC`. */
  timeZone?: string;
  keepOldestWhenShort?: boolean;
}

export interface RetentionSnapshot {
  id: string;
  /** Item identity, e.g. `file:/etc/app.yaml`, `env:PROD_`, `app:billing`. */
  group: string;
  time: Date;
}

export interface KeptSnapshot<S extends RetentionSnapshot> {
  snapshot: S;
  reasons: string[];
}

export interface GroupRetention<S extends RetentionSnapshot> {
  group: string;
  /** Newest first. */
  keep: KeptSnapshot<S>[];
  /** Newest first. */
  remove: S[];
}

export interface RetentionResult<S extends RetentionSnapshot> {
  policyEmpty: boolean;
  timeZone: string;
  /** Sorted by group. */
  groups: GroupRetention<S>[];
  keep: KeptSnapshot<S>[];
  remove: S[];
}

type Rule = Exclude<keyof RetentionPolicy, 'within'>;
const RULES: readonly Rule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

export const EMPTY_POLICY_REASON = 'empty policy: nothing is removed';

export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return RULES.every((rule) => (policy[rule] ?? 0) === 0) && (policy.within ?? 0) === 0;
}

/** `keep 3 daily, 4 weekly` style summary, like restic's "Applying Policy" line. */
export function describePolicy(policy: RetentionPolicy): string {
  const parts = RULES.filter((rule) => (policy[rule] ?? 0) !== 0).map((rule) => {
    const count = policy[rule]!;
    return `${count === Infinity ? 'all' : count} ${rule}`;
  });
  if ((policy.within ?? 0) > 0) parts.push(`all within ${describeWithin(policy.within!)}`);
  return parts.length === 0 ? 'keep everything (empty policy)' : `keep ${parts.join(', ')}`;
}

export function applyRetention<S extends RetentionSnapshot>(
  snapshots: readonly S[],
  policy: RetentionPolicy,
  options: RetentionOptions = {},
): RetentionResult<S> {
  const timeZone = options.timeZone ?? 'UTC';
  assertTimeZone(timeZone);
  validatePolicy(policy);
  const policyEmpty = isEmptyPolicy(policy);

  const byGroup = new Map<string, S[]>();
  for (const snapshot of snapshots) {
    if (!(snapshot.time instanceof Date) || Number.isNaN(snapshot.time.getTime())) {
      throw new RangeError(`snapshot ${snapshot.id} has an invalid time`);
    }
    const list = byGroup.get(snapshot.group) ?? [];
    list.push(snapshot);
    byGroup.set(snapshot.group, list);
  }

  const groups = [...byGroup.keys()]
    .sort()
    .map((group) => judgeGroup(group, byGroup.get(group)!, policy, policyEmpty, timeZone, options.keepOldestWhenShort ?? false));
  return {
    policyEmpty,
    timeZone,
    groups,
    keep: groups.flatMap((group) => group.keep),
    remove: groups.flatMap((group) => group.remove),
  };
}

function judgeGroup<S extends RetentionSnapshot>(
  group: string,
  snapshots: S[],
  policy: RetentionPolicy,
  policyEmpty: boolean,
  timeZone: string,
  keepOldestWhenShort: boolean,
): GroupRetention<S> {
  const newestFirst = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (policyEmpty) {
    return { group, keep: newestFirst.map((snapshot) => ({ snapshot, reasons: [EMPTY_POLICY_REASON] })), remove: [] };
  }

  const remaining = new Map<Rule, number>(RULES.map((rule) => [rule, policy[rule] ?? 0]));
  const lastBucket = new Map<Rule, string>();
  let lastKept = 0;
  const keep: KeptSnapshot<S>[] = [];
  const remove: S[] = [];

  const withinFrom = (policy.within ?? 0) > 0 ? newestFirst[0]!.time.getTime() - policy.within! : Infinity;
  newestFirst.forEach((snapshot, index) => {
    const reasons: string[] = [];
    if (snapshot.time.getTime() > withinFrom) reasons.push(`within ${describeWithin(policy.within!)}`);
    const isOldest = index === newestFirst.length - 1;
    const buckets = bucketsOf(snapshot.time, timeZone);
    for (const rule of RULES) {
      if (remaining.get(rule)! <= 0) continue;
      if (rule === 'last') {
        lastKept++;
        reasons.push(`last #${lastKept}`);
      } else {
        const bucket = buckets[rule];
        const isNewBucket = bucket !== lastBucket.get(rule);
        if (!isNewBucket && !(keepOldestWhenShort && isOldest)) continue;
        lastBucket.set(rule, bucket);
        reasons.push(isNewBucket ? `${rule} ${bucket}` : `oldest ${rule} ${bucket}`);
      }
      remaining.set(rule, remaining.get(rule)! - 1);
    }
    if (reasons.length > 0) keep.push({ snapshot, reasons });
    else remove.push(snapshot);
  });
  return { group, keep, remove };
}

function bucketsOf(time: Date, timeZone: string): Record<Exclude<Rule, 'last'>, string> {
  const { year, month, day, hour } = calendarParts(time, timeZone);
  const { weekYear, week } = isoWeek(year, month, day);
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  return {
    hourly: `${date}T${pad(hour)}`,
    daily: date,
    weekly: `${pad(weekYear, 4)}-W${pad(week)}`,
    monthly: `${pad(year, 4)}-${pad(month)}`,
    yearly: pad(year, 4),
  };
}

/** `36h`, `2d`, `90m`: the largest whole unit, as restic prints `--keep-within`. */
export function describeWithin(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function validatePolicy(policy: RetentionPolicy): void {
  if (policy.within !== undefined && !(Number.isFinite(policy.within) && policy.within >= 0)) {
    throw new RangeError(`keep-within must be a duration >= 0 (got ${String(policy.within)})`);
  }
  for (const rule of RULES) {
    const count = policy[rule];
    if (count === undefined || count === Infinity) continue;
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`keep-${rule} must be a whole number >= 0 or Infinity (got ${String(count)})`);
    }
  }
}
