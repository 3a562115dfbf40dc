import fc from 'fast-check';
import type { RetentionPolicy } from '../../domain/config-backup/retention.js';

/**
 * restic-forget policies that keep something (a policy that keeps nothing is refused at settings load): each count
 * absent or 0..maxCount, `within` absent or 0..maxWithinMs, `yearly` only when asked for.
 */
export function keepingPolicy(options: { maxCount: number; maxWithinMs: number; yearly: boolean }): fc.Arbitrary<RetentionPolicy> {
  const count = fc.option(fc.integer({ min: 0, max: options.maxCount }), { nil: undefined });
  return fc
    .record({
      last: count,
      hourly: count,
      daily: count,
      weekly: count,
      monthly: count,
      ...(options.yearly ? { yearly: count } : {}),
      within: fc.option(fc.integer({ min: 0, max: options.maxWithinMs }), { nil: undefined }),
    })
    .filter((p) => Object.values(p).some((v) => (v ?? 0) > 0)) as fc.Arbitrary<RetentionPolicy>;
}
