import { historicalContext } from '../domain/history/context.js';
import type { HistoricalContext } from '../domain/history/types.js';
import type { Prediction, PredictionRequest } from '../domain/risk/prediction.js';
import { normaliseContext, predictWithRules } from '../domain/risk/rules.js';
import { recentHistory } from '../db/repositories/backup-runs.js';
import type { ActivityDeps } from './deps.js';
import { invalidInput } from './failures.js';

/** Computes the target's context from `backup_runs` unless the caller supplied one, then predicts. */
export async function predictFailure(deps: Pick<ActivityDeps, 'db'>, request: PredictionRequest, now = new Date()): Promise<Prediction> {
  if (!(request.threshold > 0 && request.threshold <= 1)) throw invalidInput(`threshold must be in (0, 1], got ${request.threshold}`);
  const context = await resolveContext(deps, request, now);
  return predictWithRules(request, context, now.toISOString());
}

async function resolveContext(deps: Pick<ActivityDeps, 'db'>, request: PredictionRequest, now: Date): Promise<HistoricalContext> {
  const supplied = request.context;
  const fromHistory = historicalContext(await recentHistory(deps.db, request.target, now), now);
  // Caller-supplied figures win field by field; the rest comes from the stored history.
  return supplied ? normaliseContext({ ...fromHistory, ...stripUndefined(supplied), runCount: supplied.runCount ?? Math.max(fromHistory.runCount, supplied.successRate != null ? 20 : 0) }) : fromHistory;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createPredictionActivities(deps: ActivityDeps) {
  return {
    async predictBackupFailure(request: PredictionRequest): Promise<Prediction> {
      const prediction = await predictFailure(deps, request);
      deps.log.info({ target: request.target, probability: prediction.failureProbability, risk: prediction.riskLevel, model: prediction.model.kind }, 'prediction');
      return prediction;
    },
  };
}
