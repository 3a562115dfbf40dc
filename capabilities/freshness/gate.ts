import type { Logger } from 'pino';
import type pg from 'pg';
import { runSummaries } from '../../db/repositories/freshness.js';
import { assessFreshness } from '../../domain/freshness/assess.js';
import type { GateFreshness } from '../../domain/freshness/contract.js';
import { freshnessObjective } from '../../domain/freshness/objective.js';
import type { TargetConfig } from '../../domain/settings/schema.js';

/**
 * The target's freshness for the gate's resolution (one indexed lookup). Informational: a database that cannot
 * answer gives `unknown`, never a failed or slower gate decision.
 */
export async function gateFreshness(deps: { db: pg.Pool; log: Logger }, target: TargetConfig, now = new Date()): Promise<GateFreshness> {
  const objective = freshnessObjective(target);
  const maxAgeSeconds = objective.maxAgeMs === null ? null : objective.maxAgeMs / 1000;
  try {
    const [summary] = await runSummaries(deps.db, [target.name]);
    const lastSuccessAt = summary?.lastSuccessAt ?? null;
    const { state, ageMs } = assessFreshness(objective, lastSuccessAt, now);
    return { state, maxAgeSeconds, lastSuccessAt: lastSuccessAt?.toISOString() ?? null, ageSeconds: ageMs === null ? null : Math.round(ageMs / 1000) };
  } catch (error) {
    deps.log.warn({ target: target.name, err: (error as Error).message }, 'freshness unknown for the gate');
    return { state: 'unknown', maxAgeSeconds, lastSuccessAt: null, ageSeconds: null };
  }
}
