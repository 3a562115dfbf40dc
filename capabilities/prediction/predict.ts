import { historicalContext } from '../../domain/history/context.js';
import type { HistoricalContext } from '../../domain/history/types.js';
import type { Prediction, PredictionRequest } from '../../domain/risk/prediction.js';
import { applyDrillSignal, normaliseContext, predictWithRules, type DrillSignal } from '../../domain/risk/rules.js';
import { recentHistory } from '../../db/repositories/backup-runs.js';
import { lastFinishedDrill } from '../../db/repositories/restore-drills.js';
import type pg from 'pg';
import { invalidInput } from '../../platform/failures.js';
import { predictWithModel } from './ml-prediction.js';
import { processModelCache, type ActiveModelCache } from '../models/model-loader.js';
import { calibratePrediction } from '../../domain/risk/rules-calibration.js';
import { processRulesCalibrationCache, type RulesCalibrationCache } from './rules-calibration.js';

/**
 * Predicts with the active failure model when there is one, else with the rules. A model that cannot be used
 * (missing or corrupt artifact, checksum mismatch, newer feature pipeline, registry unreadable) falls back to the
 * rules with `model.fallbackReason`; so does a request carrying its own history context, which only the rules read.
 * The historical context always comes from `backup_runs` (overridden field by field by the caller's).
 */
export async function predictFailure(
  deps: { db: pg.Pool },
  request: PredictionRequest,
  now = new Date(),
  models: ActiveModelCache = processModelCache,
  rulesCalibration: RulesCalibrationCache = processRulesCalibrationCache,
): Promise<Prediction> {
  // The drill lookup does not depend on the prediction, so it goes to the database beside the history and model
  // lookups: one round trip of the gate's decision latency instead of three (npm run bench, BENCHMARKS.md).
  const drill = drillSignal(deps.db, request.target);
  drill.catch(() => undefined); // awaited below; only a prediction that throws first leaves it unobserved
  const prediction = await predictFromHistory(deps, request, now, models, rulesCalibration);
  // A failed last restore drill makes the target high risk whichever predictor spoke (domain/risk/rules.ts).
  return applyDrillSignal(prediction, await drill);
}

async function drillSignal(db: pg.Pool, target: string): Promise<DrillSignal | undefined> {
  const drill = await lastFinishedDrill(db, target);
  if (!drill || drill.status === 'running') return undefined;
  return { status: drill.status, finishedAt: drill.finishedAt?.toISOString() ?? null, error: drill.error };
}

async function predictFromHistory(
  deps: { db: pg.Pool },
  request: PredictionRequest,
  now: Date,
  models: ActiveModelCache,
  rulesCalibration: RulesCalibrationCache,
): Promise<Prediction> {
  if (!(request.threshold > 0 && request.threshold <= 1)) throw invalidInput(`threshold must be in (0, 1], got ${request.threshold}`);
  if (!Number.isFinite(new Date(request.startAt).getTime())) throw invalidInput(`startAt must be an ISO date-time, got ${JSON.stringify(request.startAt)}`);
  // The active model is looked up while the history is read (independent queries).
  const activeModel = models.active(deps.db);
  activeModel.catch(() => undefined); // awaited below; only a history read that throws first leaves it unobserved
  const context = await resolveContext(deps, request, now);
  // With history but no usable model, the rules' score is mapped to the team's own outcomes (issue 16, item 6).
  const rules = async (): Promise<Prediction> => {
    const raw = predictWithRules(request, context, now.toISOString());
    try {
      return calibratePrediction(raw, await rulesCalibration.get(deps.db, now));
    } catch (error) {
      return { ...raw, model: { ...raw.model, calibration: `rules as written: calibration unavailable (${(error as Error).message})` } };
    }
  };
  const fallback = async (reason: string): Promise<Prediction> => {
    const prediction = await rules();
    return { ...prediction, model: { ...prediction.model, fallbackReason: reason } };
  };

  let active;
  try {
    active = await activeModel;
  } catch (error) {
    return fallback(`model registry unreadable: ${(error as Error).message}`);
  }
  if (active === null) return rules();
  if (!active.ok) return fallback(active.reason);
  if (request.context) return fallback(`the request supplies its own history context, which only the rules use (model ${active.loaded.version} is active)`);
  try {
    return await predictWithModel(deps.db, active.loaded, request, context, now.toISOString());
  } catch (error) {
    return fallback(`model ${active.loaded.version} could not predict: ${(error as Error).message}`);
  }
}

async function resolveContext(deps: { db: pg.Pool }, request: PredictionRequest, now: Date): Promise<HistoricalContext> {
  const supplied = request.context;
  const fromHistory = historicalContext(await recentHistory(deps.db, request.target, now), now);
  // Caller-supplied figures win field by field; the rest comes from the stored history.
  return supplied
    ? normaliseContext({
        ...fromHistory,
        ...stripUndefined(supplied),
        runCount: supplied.runCount ?? Math.max(fromHistory.runCount, supplied.successRate != null ? 20 : 0),
      })
    : fromHistory;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
