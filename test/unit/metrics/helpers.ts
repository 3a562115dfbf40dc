import type { BackupRunRecord } from '../../../domain/history/types.js';
export { mulberry32 } from '../../../domain/ml/rng.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Sunday 2024-01-07 00:00 UTC. */
export const SUNDAY = Date.UTC(2024, 0, 7);

let counter = 0;

export function run(partial: Partial<BackupRunRecord> & { startedAt: Date }): BackupRunRecord {
  counter++;
  return {
    backupId: `run-${counter}`,
    target: 'db-main',
    status: 'completed',
    durationSeconds: 100,
    sizeBytes: 10e9,
    ...partial,
  };
}

/** Multiplicative jitter uniformly within +-fraction. */
export function jitter(random: () => number, fraction: number): number {
  return 1 + (random() * 2 - 1) * fraction;
}

/** Every number reachable in a value is finite (no NaN or Infinity leaks into results). */
export function allNumbersFinite(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? [] : [path];
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>).flatMap((v, i) => allNumbersFinite(v, `${path}[${i}]`));
  if (Array.isArray(value)) return value.flatMap((v, i) => allNumbersFinite(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => allNumbersFinite(v, `${path}.${k}`));
  return [];
}
