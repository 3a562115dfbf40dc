import { describe, expect, it } from 'vitest';
import { applyCalibration, fitPlattCalibration } from '../../../domain/ml/calibration.js';
import { coveredOob } from '../../../domain/ml/classifier.js';
import { trainForest } from '../../../domain/ml/forest/forest.js';
import { selectLabels, selectRows } from '../../../domain/ml/matrix.js';
import { averagePrecision, baselineBrier } from '../../../domain/ml/metrics.js';
import { parseArtifact, serializeArtifact } from '../../../domain/ml/model-artifact.js';
import { loadFailureModel } from '../../../domain/ml/model.js';
import { decidePromotion } from '../../../domain/ml/promotion.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { trainFailureModel } from '../../../domain/ml/training.js';
import { rulesStandInScores } from './helpers.js';

const runs = generateHistory({ targets: 12, days: 40, seed: 21 });
const params = { nTrees: 60, seed: 5, threads: 2 };

describe('failure-model training pipeline (sentinel forest, synthetic history, time split)', async () => {
  const result = await trainFailureModel(runs, {
    algorithm: 'sentinel-forest',
    params,
    createdAt: new Date('2024-03-01T00:00:00Z'),
    createdBy: 'unit test',
  });

  it('beats a rules-like baseline on the newest 20% of runs by a clear PR-AUC margin', () => {
    const modelPrAuc = result.validationMetrics?.prAuc as number;
    const rulesPrAuc = averagePrecision(rulesStandInScores(result.validationMatrix), result.validationLabels) as number;
    expect(result.validationFailures).toBeGreaterThan(50);
    expect(modelPrAuc).toBeGreaterThanOrEqual(rulesPrAuc + 0.1);
    const decision = decidePromotion({
      candidate: { prAuc: modelPrAuc, rocAuc: result.validationMetrics?.rocAuc ?? null, brier: result.validationMetrics?.brier ?? null },
      baseRateBrier: baselineBrier(result.validationLabels),
      active: null,
      rules: { prAuc: rulesPrAuc, brier: null },
      trainingFailures: result.trainingFailures,
      validationFailures: result.validationFailures,
    });
    expect(decision.promote).toBe(true);
  });

  it('fits the calibration on out-of-bag predictions, not on training predictions', () => {
    const trainX = selectRows(result.table.matrix, result.split.train);
    const trainY = selectLabels(result.table.labels, result.split.train);
    const { threads: _threads, ...forestParams } = params;
    const again = trainForest(trainX, trainY, forestParams);
    const oob = coveredOob(again.oob, trainY);
    expect(result.artifact.calibration).toEqual(fitPlattCalibration(oob.scores, oob.labels));
    expect(result.artifact.calibration).not.toEqual(fitPlattCalibration(again.forest.predictProbaBatch(trainX), trainY));
    // Calibrated probabilities are on the scale of the base rate, not of the class-weighted leaves.
    const mean = result.validationScores.reduce((a, b) => a + b, 0) / result.validationScores.length;
    expect(Math.abs(mean - (result.validationMetrics?.baseRate as number))).toBeLessThan(0.03);
  });

  it('records the time split and metrics in an artifact that round-trips', () => {
    const { artifact } = result;
    expect(artifact.training.rows).toBe(result.split.train.length);
    expect(artifact.training.to < (artifact.validation?.from as string)).toBe(true);
    expect(artifact.params).toMatchObject({ nTrees: 60, seed: 5 });
    expect(artifact.params).not.toHaveProperty('threads');
    expect(artifact.outOfBag?.prAuc).toBeGreaterThan(0);
    const reloaded = loadFailureModel(parseArtifact(serializeArtifact(artifact)));
    expect(Array.from(reloaded.predictBatch(result.validationMatrix))).toEqual(Array.from(result.validationScores));
  });

  it('predicts an upcoming run from past runs with the same pipeline', () => {
    const last = runs[runs.length - 1]!;
    const upcoming = { target: last.target, startAt: new Date(last.startedAt.getTime() + 3600_000), estimatedSize: last.estimatedSize ?? null };
    const { probability, features } = result.model.predictUpcoming(upcoming, runs);
    expect(probability).toBeGreaterThan(0);
    expect(probability).toBeLessThan(1);
    expect(probability).toBe(applyCalibration(result.artifact.calibration, result.model.classifier.predictProba(features)));
  });
});
