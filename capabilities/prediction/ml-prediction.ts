/**
 * A prediction by the active failure model: features of the upcoming run from the target's stored history (the
 * same pipeline as training), the calibrated probability, and risk factors / actions explained from the model's
 * most important features for this row. predictFailure (predict.ts) decides when to use it.
 */
import type pg from 'pg';
import { historyForFeatures, teamFailureRateForFeatures } from '../../db/repositories/history.js';
import type { HistoricalContext } from '../../domain/history/types.js';
import { FEATURE_NAMES, featuresForUpcomingRun } from '../../domain/ml/features.js';
import { explainPrediction, recommendActionsForModel } from '../../domain/models/explain.js';
import { riskLevel } from '../../domain/risk/levels.js';
import type { Prediction, PredictionRequest } from '../../domain/risk/prediction.js';
import type { LoadedModel } from '../models/model-loader.js';

const PRIOR_RUNS = FEATURE_NAMES.indexOf('prior_runs_capped');
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const orNull = (v: number | undefined): number | null => (v === undefined ? null : v);

export async function predictWithModel(
  db: pg.Pool,
  loaded: LoadedModel,
  request: PredictionRequest,
  context: HistoricalContext,
  predictedAt: string,
): Promise<Prediction> {
  const startAt = new Date(request.startAt);
  const [history, teamFailureRate] = await Promise.all([historyForFeatures(db, request.target, startAt), teamFailureRateForFeatures(db, startAt)]);
  const features = featuresForUpcomingRun(
    {
      target: request.target,
      startAt,
      estimatedDuration: orNull(request.estimatedDurationSeconds),
      estimatedSize: orNull(request.estimatedSizeBytes),
      databaseSizeGb: orNull(request.databaseSizeGb),
      freeSpaceGb: orNull(request.freeSpaceGb),
    },
    history,
    { teamFailureRate },
  );
  const raw = loaded.model.predict(features);
  if (!Number.isFinite(raw)) throw new Error(`model ${loaded.version} returned ${raw}`);
  const probability = round(Math.min(1, Math.max(0, raw)), 4);
  const riskFactors = explainPrediction(loaded.model.predict, features, raw, loaded.explanation);
  const priorRuns = features[PRIOR_RUNS] as number;
  return {
    target: request.target,
    failureProbability: probability,
    riskLevel: riskLevel(probability, request.threshold),
    threshold: request.threshold,
    riskFactors,
    recommendedActions: recommendActionsForModel(riskFactors, probability, request.threshold),
    // Like the rules: the model knows little about a target without history, whatever it outputs.
    confidence: round(0.4 + 0.5 * Math.min(1, priorRuns / 30), 2),
    model: { kind: 'ml', version: loaded.version, algorithm: loaded.algorithm },
    context,
    predictedAt,
  };
}
