import type { Prediction, PredictionRequest } from '../domain/risk/prediction.js';
import { predictFailure } from '../capabilities/prediction/predict.js';
import type { ActivityDeps } from './deps.js';
import { thresholdSourceOf } from '../capabilities/prediction/threshold.js';

/** The activity around the prediction use case (capabilities/prediction), which `sentinel predict` calls too. */
export function createPredictionActivities(deps: ActivityDeps) {
  return {
    async predictBackupFailure(request: PredictionRequest): Promise<Prediction> {
      const prediction = await withThresholdSource(deps, request, await predictFailure(deps, request));
      const { kind, version, fallbackReason } = prediction.model;
      deps.log.info(
        { target: request.target, probability: prediction.failureProbability, risk: prediction.riskLevel, model: kind, version, fallbackReason },
        'prediction',
      );
      if (fallbackReason) deps.log.warn({ target: request.target, fallbackReason }, 'trained model not used: predicted with the rules');
      return prediction;
    },
  };
}

/** Records where the threshold came from (`threshold: auto` shows the model and goal); a settings problem leaves it out. */
async function withThresholdSource(deps: ActivityDeps, request: PredictionRequest, prediction: Prediction): Promise<Prediction> {
  try {
    const settings = await deps.loadSettings();
    const target = settings.targets.find((t) => t.name === request.target);
    if (!target) return prediction;
    return { ...prediction, thresholdSource: await thresholdSourceOf(deps.db, settings, target, request.threshold) };
  } catch {
    return prediction;
  }
}
