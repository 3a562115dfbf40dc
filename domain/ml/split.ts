/**
 * Time-based train/validation split: train on the oldest runs, validate on the newest, never randomly (a random
 * split lets a model learn from the future of the runs it is validated on).
 */

export const DEFAULT_TRAIN_FRACTION = 0.8;

export interface TimeSplit {
  /** Row indices, oldest first. */
  train: Uint32Array;
  validation: Uint32Array;
  /** Every training row started before this instant, every validation row at or after it (epoch ms). */
  cutoffMs: number | null;
}

/**
 * Orders rows by start time and puts the oldest `trainFraction` into train. Rows sharing the start time of the
 * first validation row all go to validation, so no instant is on both sides (train may get slightly fewer rows).
 */
export function timeSplit(startedAtMs: ArrayLike<number>, trainFraction = DEFAULT_TRAIN_FRACTION): TimeSplit {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new RangeError('trainFraction must be in (0, 1)');
  const n = startedAtMs.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(startedAtMs[i] as number)) throw new RangeError(`row ${i} has start time ${startedAtMs[i]}`);
    order[i] = i;
  }
  order.sort((a, b) => (startedAtMs[a] as number) - (startedAtMs[b] as number) || a - b);
  let boundary = Math.floor(n * trainFraction);
  if (boundary >= n) return { train: order, validation: new Uint32Array(0), cutoffMs: null };
  const cutoffMs = startedAtMs[order[boundary] as number] as number;
  while (boundary > 0 && startedAtMs[order[boundary - 1] as number] === cutoffMs) boundary--;
  return { train: order.slice(0, boundary), validation: order.slice(boundary), cutoffMs };
}

/** Convenience for run records. */
export function timeSplitRuns(runs: readonly { startedAt: Date }[], trainFraction = DEFAULT_TRAIN_FRACTION): TimeSplit {
  return timeSplit(
    runs.map((r) => r.startedAt.getTime()),
    trainFraction,
  );
}
