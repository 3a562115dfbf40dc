/**
 * Backup history as columns of typed arrays: compact (about 60 bytes a run) and transferable to a worker thread
 * without copying, which is how the training activity hands a million runs to its training thread. Unknown
 * optional values are NaN. Row order is kept.
 */
import type { BackupRunRecord } from '../history/types.js';

export interface HistoryColumns {
  size: number;
  /** Target names; targetIndex[i] points into it. */
  targets: string[];
  targetIndex: Int32Array;
  startedAtMs: Float64Array;
  /** 1 for failed, 0 for completed. */
  failed: Uint8Array;
  durationSeconds: Float64Array;
  sizeBytes: Float64Array;
  databaseSizeGb: Float64Array;
  freeSpaceGb: Float64Array;
  estimatedDuration: Float64Array;
  estimatedSize: Float64Array;
}

const orNaN = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN);
const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Grows typed arrays as rows arrive (doubling), then trims them. */
export function historyColumnsBuilder(initialCapacity = 1024) {
  let capacity = Math.max(16, initialCapacity);
  let size = 0;
  const targets: string[] = [];
  const targetIds = new Map<string, number>();
  let targetIndex = new Int32Array(capacity);
  let startedAtMs = new Float64Array(capacity);
  let failed = new Uint8Array(capacity);
  let durationSeconds = new Float64Array(capacity);
  let sizeBytes = new Float64Array(capacity);
  let databaseSizeGb = new Float64Array(capacity);
  let freeSpaceGb = new Float64Array(capacity);
  let estimatedDuration = new Float64Array(capacity);
  let estimatedSize = new Float64Array(capacity);

  function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, length: number): T {
    const next = new (a.constructor as new (n: number) => T)(length);
    next.set(a.subarray(0, size) as never);
    return next;
  }

  return {
    get size() {
      return size;
    },
    add(
      target: string,
      startMs: number,
      isFailed: boolean,
      duration: number,
      bytes: number,
      dbGb: number | null | undefined,
      freeGb: number | null | undefined,
      estDuration: number | null | undefined,
      estSize: number | null | undefined,
    ): void {
      if (size === capacity) {
        capacity *= 2;
        targetIndex = grow(targetIndex, capacity);
        startedAtMs = grow(startedAtMs, capacity);
        failed = grow(failed, capacity);
        durationSeconds = grow(durationSeconds, capacity);
        sizeBytes = grow(sizeBytes, capacity);
        databaseSizeGb = grow(databaseSizeGb, capacity);
        freeSpaceGb = grow(freeSpaceGb, capacity);
        estimatedDuration = grow(estimatedDuration, capacity);
        estimatedSize = grow(estimatedSize, capacity);
      }
      let id = targetIds.get(target);
      if (id === undefined) {
        id = targets.length;
        targets.push(target);
        targetIds.set(target, id);
      }
      targetIndex[size] = id;
      startedAtMs[size] = startMs;
      failed[size] = isFailed ? 1 : 0;
      durationSeconds[size] = duration;
      sizeBytes[size] = bytes;
      databaseSizeGb[size] = orNaN(dbGb);
      freeSpaceGb[size] = orNaN(freeGb);
      estimatedDuration[size] = orNaN(estDuration);
      estimatedSize[size] = orNaN(estSize);
      size++;
    },
    build(): HistoryColumns {
      return {
        size,
        targets,
        targetIndex: targetIndex.slice(0, size),
        startedAtMs: startedAtMs.slice(0, size),
        failed: failed.slice(0, size),
        durationSeconds: durationSeconds.slice(0, size),
        sizeBytes: sizeBytes.slice(0, size),
        databaseSizeGb: databaseSizeGb.slice(0, size),
        freeSpaceGb: freeSpaceGb.slice(0, size),
        estimatedDuration: estimatedDuration.slice(0, size),
        estimatedSize: estimatedSize.slice(0, size),
      };
    },
  };
}

export function historyColumnsOf(runs: readonly BackupRunRecord[]): HistoryColumns {
  const b = historyColumnsBuilder(runs.length);
  for (const r of runs) {
    b.add(
      r.target,
      r.startedAt.getTime(),
      r.status === 'failed',
      r.durationSeconds,
      r.sizeBytes,
      r.databaseSizeGb,
      r.freeSpaceGb,
      r.estimatedDuration,
      r.estimatedSize,
    );
  }
  return b.build();
}

/** Run records for the pipeline (backupId is the row number: training never reads it). */
export function runsOfColumns(c: HistoryColumns): BackupRunRecord[] {
  const runs: BackupRunRecord[] = new Array(c.size);
  for (let i = 0; i < c.size; i++) {
    runs[i] = {
      backupId: String(i),
      target: c.targets[c.targetIndex[i] as number] as string,
      startedAt: new Date(c.startedAtMs[i] as number),
      status: c.failed[i] === 1 ? 'failed' : 'completed',
      durationSeconds: c.durationSeconds[i] as number,
      sizeBytes: c.sizeBytes[i] as number,
      databaseSizeGb: orNull(c.databaseSizeGb[i] as number),
      freeSpaceGb: orNull(c.freeSpaceGb[i] as number),
      estimatedDuration: orNull(c.estimatedDuration[i] as number),
      estimatedSize: orNull(c.estimatedSize[i] as number),
      errorMessage: null,
    };
  }
  return runs;
}

/** The buffers to list as transferables when posting columns to a worker thread. */
export function transferablesOf(c: HistoryColumns): ArrayBuffer[] {
  return [c.targetIndex, c.startedAtMs, c.failed, c.durationSeconds, c.sizeBytes, c.databaseSizeGb, c.freeSpaceGb, c.estimatedDuration, c.estimatedSize].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

export function countFailures(c: HistoryColumns): number {
  let failures = 0;
  for (let i = 0; i < c.size; i++) failures += c.failed[i] as number;
  return failures;
}
