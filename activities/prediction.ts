import type { Prediction, PredictionRequest } from '../domain/risk/prediction.js';
import { predictFailure } from '../capabilities/prediction/predict.js';
import type { ActivityDeps } from './deps.js';

/** The activity around the prediction use case (capabilities/prediction), which `sentinel predict` calls too. */
export function createPredictionActivities(deps: ActivityDeps) {
  return {
    async predictBackupFailure(request: PredictionRequest): Promise<Prediction> {
      const prediction = await predictFailure(deps, request);
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
