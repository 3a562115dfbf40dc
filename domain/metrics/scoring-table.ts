import { NO_BASELINE, bucketCodeForSlot, bucketFor, type Baselines, type TargetBaseline } from './baselines.js';
import { DAY_HOUR_BUCKETS } from './time-buckets.js';

/**
 * Baselines flattened for batch scoring. Every target's 168 day-of-week x hour slots are resolved once to the
 * bucket they fall back to, and each bucket's four scoring numbers sit side by side: scanning runs of many
 * targets in time order then touches a byte and one cache line per run instead of a chain of objects.
 * Memory: 168 bytes per target plus 36 bytes per learned bucket.
 */
export interface ScoringTable {
  ids: Map<string, number>;
  targets: TargetBaseline[];
  /** Per target*168 + dayHour: 1 + the bucket's position in the target's bucket list, 0 = no baseline. */
  slotBucket: Uint8Array;
  /** Per target: index of its first bucket in `codes` / `params`. */
  firstBucket: Int32Array;
  /** Per bucket: code for `bucketFor`/`describeBucket`. */
  codes: Int32Array;
  /** Per bucket: duration log median, duration sigma, size log median, size sigma. */
  params: Float64Array;
}

export function compileScoringTable(baselines: Baselines): ScoringTable {
  const targets = Object.values(baselines.targets);
  const ids = new Map<string, number>();
  const slotBucket = new Uint8Array(targets.length * DAY_HOUR_BUCKETS);
  const firstBucket = new Int32Array(targets.length);
  const codes: number[] = [];
  const params: number[] = [];
  const local = new Map<number, number>();
  targets.forEach((target, id) => {
    ids.set(target.target, id);
    firstBucket[id] = codes.length;
    if (!target.overall) return;
    local.clear();
    for (let slot = 0; slot < DAY_HOUR_BUCKETS; slot++) {
      const code = bucketCodeForSlot(target, slot);
      if (code === NO_BASELINE) continue;
      let position = local.get(code);
      if (position === undefined) {
        position = local.size;
        local.set(code, position);
        const bucket = bucketFor(target, code);
        codes.push(code);
        params.push(bucket.durationSeconds.logMedian, bucket.durationSeconds.sigma, bucket.sizeBytes.logMedian, bucket.sizeBytes.sigma);
      }
      // At most 1 + 24 + 168 = 193 buckets per target, so position + 1 fits a byte.
      slotBucket[id * DAY_HOUR_BUCKETS + slot] = position + 1;
    }
  });
  return { ids, targets, slotBucket, firstBucket, codes: Int32Array.from(codes), params: Float64Array.from(params) };
}
