/**
 * Loading a classifier from its JSON, for each algorithm. Kept apart from algorithms.ts (training) so that
 * loading and predicting never pull in the training code.
 */
import { SentinelBoosting } from './boosting/model.js';
import type { AlgorithmName, FailureClassifier } from './classifier.js';
import { SentinelForest } from './forest/forest.js';
import { MlRandomForestClassifier } from './ml-random-forest-adapter.js';

export const CLASSIFIER_LOADERS: Record<AlgorithmName, (json: unknown) => FailureClassifier> = {
  'sentinel-forest': (json) => SentinelForest.fromJSON(json),
  'sentinel-boosting': (json) => SentinelBoosting.fromJSON(json),
  'ml-random-forest': (json) => MlRandomForestClassifier.fromJSON(json),
};

/** Rebuilds a classifier from its toJSON() output; throws a descriptive error when the JSON is not valid. */
export function loadClassifier(algorithm: AlgorithmName, json: unknown): FailureClassifier {
  return CLASSIFIER_LOADERS[algorithm](json);
}
