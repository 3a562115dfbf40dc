import { describe, expect, it } from 'vitest';
import { ALGORITHMS, loadClassifier } from '../../../domain/ml/algorithms.js';
import { MlRandomForestClassifier, trainMlRandomForest } from '../../../domain/ml/ml-random-forest-adapter.js';
import { matrixRow } from '../../../domain/ml/matrix.js';
import { rocAuc } from '../../../domain/ml/metrics.js';
import { thresholdDataset } from './helpers.js';

describe('ml-random-forest adapter', () => {
  const train = thresholdDataset(300, 4, 21);
  const test = thresholdDataset(200, 4, 22);

  it('returns probabilities in [0, 1] that are not all equal and rank held-out rows', () => {
    const { classifier, oob } = trainMlRandomForest(train.X, train.y, { nTrees: 15, seed: 3 });
    const p = classifier.predictProbaBatch(test.X);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(new Set(p).size).toBeGreaterThan(3);
    expect(rocAuc(p, test.y)).toBeGreaterThan(0.8);
    expect(classifier.predictProba(matrixRow(test.X, 0))).toBe(p[0]);
    expect(oob.votes.some((v) => v > 0)).toBe(true);
  });

  it('round-trips through JSON and the registry with identical predictions', async () => {
    const trained = await ALGORITHMS['ml-random-forest'].train(train.X, train.y, { nTrees: 8, seed: 4 });
    expect(trained.classifier.algorithm).toBe('ml-random-forest');
    const loaded = loadClassifier('ml-random-forest', JSON.parse(JSON.stringify(trained.classifier.toJSON())));
    expect(Array.from(loaded.predictProbaBatch(test.X))).toEqual(Array.from(trained.classifier.predictProbaBatch(test.X)));
  });

  it('refuses JSON that is not an ml-random-forest model', () => {
    expect(() => MlRandomForestClassifier.fromJSON({ format: 'sentinel-forest' })).toThrow(/ml-random-forest/);
  });
});
