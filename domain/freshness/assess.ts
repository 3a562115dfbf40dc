import type { FreshnessState } from './contract.js';
import type { FreshnessObjective } from './objective.js';

/**
 * Whether a target is fresh: its newest successful backup is at most `maxAge` old. A target with an objective
 * and no successful backup at all is stale (as Barman's `last_backup_maximum_age` fails with no backup). Pure.
 */
export function assessFreshness(
  objective: Pick<FreshnessObjective, 'maxAgeMs'>,
  lastSuccessAt: Date | null,
  now: Date,
): { state: FreshnessState; ageMs: number | null } {
  const ageMs = lastSuccessAt === null ? null : Math.max(0, now.getTime() - lastSuccessAt.getTime());
  if (objective.maxAgeMs === null) return { state: 'unmonitored', ageMs };
  if (ageMs === null || ageMs > objective.maxAgeMs) return { state: 'stale', ageMs };
  return { state: 'fresh', ageMs };
}
