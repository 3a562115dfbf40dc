import type { Prediction, PredictionRequest, ThresholdSource } from '../domain/risk/prediction.js';
import { predictFailure } from '../capabilities/prediction/predict.js';
import type { ActivityDeps } from './deps.js';
import { thresholdSourceOf } from '../capabilities/prediction/threshold.js';

/** The activity around the prediction use case (capabilities/prediction), which `sentinel predict` calls too. */
export function createPredictionActivities(deps: ActivityDeps) {
  return {
    predictBackupFailure: (request: PredictionRequest): Promise<Prediction> => predictAndLog(deps, request),
  };
}

/**
 * A prediction with its threshold's source, logged: `predictBackupFailure`, and the first one of
 * `resolveGateAndPredict`, which passes the source it resolved the threshold with (`known`) rather than have it
 * worked out again.
 */
export async function predictAndLog(deps: ActivityDeps, request: PredictionRequest, known?: ThresholdSource): Promise<Prediction> {
  // Where the threshold came from does not depend on the prediction: both are worked out at once (a settings
  // read, and for `threshold: auto` two registry queries, off the decision's path; npm run bench).
  const source = known ? Promise.resolve(known) : thresholdSource(deps, request);
  const predicted = await predictFailure(deps, request);
  const resolved = await source;
  const prediction = resolved ? { ...predicted, thresholdSource: resolved } : predicted;
  const { kind, version, fallbackReason } = prediction.model;
  deps.log.info(
    { target: request.target, probability: prediction.failureProbability, risk: prediction.riskLevel, model: kind, version, fallbackReason },
    'prediction',
  );
  if (fallbackReason) deps.log.warn({ target: request.target, fallbackReason }, 'trained model not used: predicted with the rules');
  return prediction;
}

/** Where the threshold came from (`threshold: auto` shows the model and goal); a settings problem leaves it out. */
async function thresholdSource(deps: ActivityDeps, request: PredictionRequest): Promise<ThresholdSource | undefined> {
  try {
    const settings = await deps.loadSettings();
    const target = settings.targets.find((t) => t.name === request.target);
    if (!target) return undefined;
    return await thresholdSourceOf(deps.db, settings, target, request.threshold);
  } catch {
    return undefined;
  }
}
