import { describe, expect, it } from 'vitest';
import { boostingThreads, MIN_PARALLEL_ROWS } from '../../../activities/models/boosting-threads.js';
import { threadTreeRunner } from '../../../activities/models/forest-threads.js';
import { ALGORITHMS, loadClassifier, trainClassifier } from '../../../domain/ml/algorithms.js';
import { SentinelBoosting } from '../../../domain/ml/boosting/model.js';
import { resolveBoostingOptions } from '../../../domain/ml/boosting/options.js';
import { trainBoosting } from '../../../domain/ml/boosting/train.js';
import { coveredOob } from '../../../domain/ml/classifier.js';
import { createMatrix, matrixRow, type DenseMatrix } from '../../../domain/ml/matrix.js';
import { averagePrecision, rocAuc } from '../../../domain/ml/metrics.js';
import { createRng } from '../../../domain/ml/rng.js';
import { checkAlgorithmParams } from '../../../domain/models/params.js';
import { thresholdDataset } from './helpers.js';

/** Label 1 with probability sigmoid(3 * x0 * x1 - 2 + 2 * (x2 > 0.9)): an interaction and a step, ~20% positives. */
function interactionDataset(rows: number, features: number, seed: number): { X: DenseMatrix; y: Uint8Array; truth: Float64Array } {
  const rng = createRng(seed);
  const X = createMatrix(rows, features);
  const y = new Uint8Array(rows);
  const truth = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < features; f++) X.values[i * features + f] = rng.next();
    const x = matrixRow(X, i);
    const z = 6 * (x[0] as number) * (x[1] as number) - 3.5 + 2.5 * ((x[2] as number) > 0.9 ? 1 : 0);
    truth[i] = 1 / (1 + Math.exp(-z));
    y[i] = rng.chance(truth[i] as number) ? 1 : 0;
  }
  return { X, y, truth };
}

function splitRows(data: { X: DenseMatrix; y: Uint8Array }, trainRows: number) {
  const p = data.X.columnCount;
  return {
    trainX: createMatrix(trainRows, p, data.X.values.slice(0, trainRows * p)),
    trainY: data.y.slice(0, trainRows),
    testX: createMatrix(data.X.rowCount - trainRows, p, data.X.values.slice(trainRows * p)),
    testY: data.y.slice(trainRows),
  };
}

const json = (m: SentinelBoosting): string => JSON.stringify(m.toJSON());

describe('sentinel-boosting', () => {
  const data = interactionDataset(12_000, 6, 3);
  const { trainX, trainY, testX, testY } = splitRows(data, 10_000);
  const truthTest = data.truth.slice(10_000);

  it('learns an interaction and a step far better than chance, close to the true probabilities', async () => {
    const { model, heldOut } = await trainBoosting(trainX, trainY, { minValidationFailures: 20 });
    const scores = model.predictProbaBatch(testX);
    const auc = rocAuc(scores, testY) as number;
    const ap = averagePrecision(scores, testY) as number;
    const trueAuc = rocAuc(truthTest, testY) as number;
    const trueAp = averagePrecision(truthTest, testY) as number;
    const baseRate = testY.reduce((s, v) => s + v, 0) / testY.length;
    // Floors: chance is 0.5 / the base rate; the true probabilities reach about 0.80 / 0.55 here.
    expect(auc).toBeGreaterThan(0.75);
    expect(auc).toBeGreaterThan(trueAuc - 0.03);
    expect(ap).toBeGreaterThan(2 * baseRate);
    expect(ap).toBeGreaterThan(trueAp - 0.06);
    // Log-loss boosting is close to calibrated: the mean prediction is near the base rate.
    const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
    expect(Math.abs(mean - baseRate)).toBeLessThan(0.03);
    // The held-out fold is the newest 10% of the training rows.
    expect(heldOut?.firstRow).toBe(9000);
    expect(heldOut?.probabilities.length).toBe(1000);
  });

  it('stops early on noise, keeping the best round, and trains every round without a usable fold', async () => {
    const rng = createRng(5);
    const noise = createMatrix(5000, 4);
    for (let k = 0; k < noise.values.length; k++) noise.values[k] = rng.next();
    const labels = Uint8Array.from({ length: 5000 }, () => (rng.chance(0.2) ? 1 : 0));
    const stopped = await trainBoosting(noise, labels, { maxIterations: 200, earlyStoppingRounds: 5, minValidationFailures: 20 });
    expect(stopped.iterationsTrained).toBeLessThan(200);
    const kept = stopped.model.trees.length;
    expect(kept).toBeLessThan(stopped.iterationsTrained);
    expect(stopped.iterationsTrained - kept).toBe(5);
    // The kept round has the lowest held-out loss of all the rounds trained.
    expect(Math.min(...stopped.validationLoss)).toBe(stopped.validationLoss[kept]);
    expect(stopped.model.toJSON().iterationsTrained).toBe(stopped.iterationsTrained);

    // The default fold needs 50 failures: 500 rows at 20% have about 100, but 0.05 of 500 rows is 25 rows.
    const small = await trainBoosting(noise, labels, { maxIterations: 7, validationFraction: 0.05 });
    expect(small.heldOut).toBeNull();
    expect(small.model.trees.length).toBe(7);
    expect(small.validationLoss).toEqual([]);
  });

  it('gives byte-identical models for a seed, other models for another seed when it samples', async () => {
    const sampled = { maxIterations: 15, subsample: 0.7, featureFraction: 0.6, seed: 9 };
    const a = await trainBoosting(trainX, trainY, sampled);
    const b = await trainBoosting(trainX, trainY, sampled);
    const c = await trainBoosting(trainX, trainY, { ...sampled, seed: 10 });
    // Compared as booleans so a failure does not print the models.
    expect(json(a.model) === json(b.model)).toBe(true);
    expect(json(c.model) === json(a.model)).toBe(false);
    expect(Array.from(a.heldOut?.probabilities ?? [])).toEqual(Array.from(b.heldOut?.probabilities ?? []));
  });

  it('gives the same model on worker threads as on the calling thread, for any thread count', async () => {
    // 10k rows x 6 features: the root and the large leaves pass MIN_PARALLEL_CELLS, so the threads do build.
    const options = { maxIterations: 12, growth: 'depth-wise' as const, maxLeaves: 20 };
    const single = await trainBoosting(trainX, trainY, options);
    for (const threads of [2, 4]) {
      const parallel = await trainBoosting(trainX, trainY, options, { threads, histogramThreads: boostingThreads });
      expect(json(parallel.model) === json(single.model)).toBe(true);
    }
    // Through the algorithm registry with the worker's tree runner (which offers the boosting threads).
    const viaRunner = await trainClassifier('sentinel-boosting', trainX, trainY, { ...options, threads: 3 }, { treeRunner: threadTreeRunner });
    expect(JSON.stringify(viaRunner.classifier.toJSON()) === json(single.model)).toBe(true);
  });

  it('gives the same model when the threads also compute gradients and partition leaves, with and without subsampling', async () => {
    const large = interactionDataset(3 * MIN_PARALLEL_ROWS, 5, 8);
    expect(large.X.rowCount * 0.9).toBeGreaterThan(2 * MIN_PARALLEL_ROWS);
    for (const sampling of [{}, { subsample: 0.8 }]) {
      const options = { maxIterations: 8, maxLeaves: 15, ...sampling };
      const single = await trainBoosting(large.X, large.y, options);
      const parallel = await trainBoosting(large.X, large.y, options, { threads: 2, histogramThreads: boostingThreads });
      expect(json(parallel.model) === json(single.model)).toBe(true);
      expect(Array.from(parallel.heldOut?.probabilities ?? [])).toEqual(Array.from(single.heldOut?.probabilities ?? []));
    }
  });

  it('round-trips through toJSON and the classifier loaders, predicting identically', async () => {
    const trained = await trainClassifier('sentinel-boosting', trainX, trainY, { maxIterations: 30 });
    const text = JSON.stringify(trained.classifier.toJSON());
    const loaded = loadClassifier('sentinel-boosting', JSON.parse(text));
    expect(loaded).toBeInstanceOf(SentinelBoosting);
    expect(JSON.stringify(loaded.toJSON())).toBe(text);
    expect(Array.from(loaded.predictProbaBatch(testX))).toEqual(Array.from(trained.classifier.predictProbaBatch(testX)));
    for (let i = 0; i < 50; i++) expect(loaded.predictProba(matrixRow(testX, i))).toBe(trained.classifier.predictProbaBatch(testX)[i]);
    // Small: 30 trees of at most 31 leaves.
    expect(text.length).toBeLessThan(60_000);

    // The held-out predictions handed back for calibration are the model's own on those rows (binned = raw).
    const oob = trained.oob;
    expect(oob).not.toBeNull();
    const covered = coveredOob(oob as NonNullable<typeof oob>, trainY);
    expect(covered.indices[0]).toBe(9000);
    expect(covered.indices.length).toBe(1000);
    const heldX = createMatrix(1000, 6, trainX.values.slice(9000 * 6));
    const direct = trained.classifier.predictProbaBatch(heldX);
    for (let k = 0; k < 1000; k++) expect(covered.scores[k]).toBeCloseTo(direct[k] as number, 12);
  });

  it('refuses malformed model JSON with a clear error', async () => {
    const { model } = await trainBoosting(trainX, trainY, { maxIterations: 3 });
    const good = model.toJSON();
    expect(() => SentinelBoosting.fromJSON({ ...good, format: 'sentinel-forest' })).toThrow(/not a sentinel-boosting model/);
    const badLeaf = structuredClone(good);
    const tree = badLeaf.trees[0] as { feature: number[]; split: number[] };
    tree.split[tree.feature.indexOf(-1)] = 1e9;
    expect(() => SentinelBoosting.fromJSON(badLeaf)).toThrow(/tree 0: leaf \d+ has value 1000000000/);
    const nanLeaf = structuredClone(good);
    const nanTree = nanLeaf.trees[0] as { feature: number[]; split: number[] };
    nanTree.split[nanTree.feature.indexOf(-1)] = Number.NaN;
    expect(() => SentinelBoosting.fromJSON(nanLeaf)).toThrow(/not a sentinel-boosting model: .*received NaN\s+→ at trees\[0\]\.split\[\d+\]/s);
    const badChild = structuredClone(good);
    (badChild.trees[0] as { children: number[] }).children[0] = 0;
    expect(() => SentinelBoosting.fromJSON(badChild)).toThrow(/tree 0: node 0 has children/);
    expect(() => SentinelBoosting.fromJSON({ ...good, iterations: 99 })).toThrow(/99 iterations but has 3 trees/);
    expect(() => SentinelBoosting.fromJSON({ ...good, formatVersion: 99 })).toThrow(/newer than this code supports/);
  });

  it('stops when aborted, on the calling thread and on worker threads', async () => {
    for (const control of [{}, { threads: 2, histogramThreads: boostingThreads }]) {
      const controller = new AbortController();
      const progress: number[] = [];
      const training = trainBoosting(
        trainX,
        trainY,
        { maxIterations: 500, validationFraction: 0 },
        {
          ...control,
          signal: controller.signal,
          onProgress: (done) => {
            progress.push(done);
            if (done === 3) controller.abort(new Error('cancelled by test'));
          },
        },
      );
      await expect(training).rejects.toThrow('cancelled by test');
      expect(progress).toEqual([1, 2, 3]);
    }
  });

  it('rejects invalid params and input with a clear error', async () => {
    await expect(trainClassifier('sentinel-boosting', trainX, trainY, { learningRate: 0 })).rejects.toThrow(/learningRate/);
    await expect(trainClassifier('sentinel-boosting', trainX, trainY, { nTrees: 100 })).rejects.toThrow(/nTrees/);
    await expect(trainBoosting(trainX, trainY, {}, { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    await expect(trainBoosting(createMatrix(0, 3), [], {})).rejects.toThrow(/zero rows/);
    await expect(trainBoosting(createMatrix(2, 1, Float64Array.from([1, Number.NaN])), [0, 1])).rejects.toThrow(/non-finite value NaN at row 1/);
    await expect(trainBoosting(createMatrix(2, 1), [0, 2])).rejects.toThrow(/label 1 is 2/);
    expect(checkAlgorithmParams('sentinel-boosting', { maxLeaves: 1 })).toMatch(/^invalid sentinel-boosting params: maxLeaves: /);
    expect(checkAlgorithmParams('sentinel-boosting', { growth: 'sideways' })).toMatch(/growth/);
    expect(checkAlgorithmParams('sentinel-boosting', { maxIterations: 50, learningRate: 0.05, threads: 2 })).toBeNull();
    expect(ALGORITHMS['sentinel-boosting'].defaultParams).toEqual(resolveBoostingOptions());
  });

  it('fits a step function with either growth and any leaf budget', async () => {
    const step = thresholdDataset(4000, 5, 11);
    const { trainX: x, trainY: y, testX: tx, testY: ty } = splitRows(step, 3000);
    for (const growth of ['leaf-wise', 'depth-wise'] as const) {
      const { model } = await trainBoosting(x, y, { growth, maxLeaves: 4, maxIterations: 20, validationFraction: 0 });
      expect(rocAuc(model.predictProbaBatch(tx), ty) as number).toBeGreaterThan(0.9);
      for (const tree of model.trees) expect(tree.feature.filter((f) => f === -1).length).toBeLessThanOrEqual(4);
    }
  });
});
