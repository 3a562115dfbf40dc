import { describe, expect, it } from 'vitest';
import { applyCalibration, fitCalibration } from '../../../domain/ml/calibration.js';
import { coveredOob } from '../../../domain/ml/classifier.js';
import { trainForest } from '../../../domain/ml/forest/forest.js';
import { selectLabels, selectRows } from '../../../domain/ml/matrix.js';
import { averagePrecision, baselineBrier } from '../../../domain/ml/metrics.js';
import { parseArtifact, serializeArtifact } from '../../../domain/ml/model-artifact.js';
import { loadFailureModel } from '../../../domain/ml/model.js';
import { decidePromotion } from '../../../domain/ml/promotion.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { expandingWindowFolds } from '../../../domain/ml/selection.js';
import { trainFailureModel } from '../../../domain/ml/training.js';
import { rulesStandInScores } from './helpers.js';

const runs = generateHistory({ targets: 12, days: 40, seed: 21 });
// A budget of 0 evaluates the default configuration only (tests stay fast); test/unit/ml/selection.test.ts searches.
const params = { nTrees: 60, seed: 5, threads: 2, selectionBudgetSeconds: 0 };

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

  it('calibrates each model on its own out-of-bag predictions (isotonic with 50+ failures), never on training predictions', () => {
    const { threads: _threads, selectionBudgetSeconds: _budget, ...forestParams } = params;
    const selection = result.selection!;
    expect(selection.candidates).toHaveLength(1);
    expect(selection.candidates[0]!.params).toEqual(forestParams);
    expect(selection.folds.map((f) => f.validationRows)).toEqual(expandingWindowFolds(result.split.train, 3).map((f) => f.validation.length));
    // The deployed model was refit on every row: its calibration comes from its own out-of-bag scores.
    const everything = Uint32Array.from(result.deployedRows);
    const allY = selectLabels(result.table.labels, everything);
    const again = trainForest(selectRows(result.table.matrix, everything), allY, forestParams);
    const oob = coveredOob(again.oob, allY);
    expect(result.artifact.calibration).toEqual(fitCalibration(oob.scores, oob.labels));
    expect(result.artifact.calibration.method).toBe('isotonic'); // well over 50 failures to fit on
    expect(selection.calibratedOn).toEqual({ source: 'out-of-bag', rows: oob.scores.length, failures: oob.labels.reduce((a, b) => a + b, 0) });
    expect(result.artifact.calibration).not.toEqual(fitCalibration(again.forest.predictProbaBatch(selectRows(result.table.matrix, everything)), allY));
    // The validated model (older 80 % only) has its own calibration, from its own out-of-bag scores.
    const trainX = selectRows(result.table.matrix, result.split.train);
    const trainY = selectLabels(result.table.labels, result.split.train);
    const older = trainForest(trainX, trainY, forestParams);
    const olderOob = coveredOob(older.oob, trainY);
    expect(result.validatedModel.artifact.calibration).toEqual(fitCalibration(olderOob.scores, olderOob.labels));
    // Calibrated probabilities are on the scale of the base rate, not of the class-weighted leaves.
    const mean = result.validationScores.reduce((a, b) => a + b, 0) / result.validationScores.length;
    expect(Math.abs(mean - (result.validationMetrics?.baseRate as number))).toBeLessThan(0.03);
  });

  it('refits the deployed model on every run with the chosen params, after validating them on the newest 20%', () => {
    const { threads: _threads, selectionBudgetSeconds: _budget, ...forestParams } = params;
    const { artifact } = result;
    expect(artifact.training.rows).toBe(runs.length);
    expect(Array.from(result.deployedRows).sort((a, b) => a - b)).toEqual(runs.map((_, i) => i));
    const everything = Uint32Array.from(result.deployedRows);
    const refit = trainForest(selectRows(result.table.matrix, everything), selectLabels(result.table.labels, everything), forestParams).forest;
    expect(artifact.classifier).toEqual(JSON.parse(JSON.stringify(refit.toJSON())));
    // The validation figures belong to the same params fitted on the older 80% only.
    expect(artifact.validation?.fittedOn?.rows).toBe(result.split.train.length);
    expect((artifact.validation?.fittedOn?.to as string) < (artifact.validation?.from as string)).toBe(true);
    expect(result.validatedModel.classifier.toJSON()).not.toEqual(result.model.classifier.toJSON());
  });

  it('records the windows, params and selection in an artifact that round-trips', () => {
    const { artifact } = result;
    expect(artifact.params).toMatchObject({ nTrees: 60, seed: 5 });
    expect(artifact.params).not.toHaveProperty('threads');
    expect(artifact.params).not.toHaveProperty('selectionBudgetSeconds');
    expect(artifact.selection?.budgetSeconds).toBe(0);
    const reloaded = loadFailureModel(parseArtifact(serializeArtifact(artifact)));
    expect(reloaded.artifact.selection).toEqual(artifact.selection);
    expect(Array.from(reloaded.predictBatch(result.validationMatrix))).toEqual(Array.from(result.model.predictBatch(result.validationMatrix)));
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
