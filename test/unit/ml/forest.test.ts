import { describe, expect, it } from 'vitest';
import { SentinelForest, trainForest } from '../../../domain/ml/forest/forest.js';
import { inProcessTreeRunner, trainForestWith } from '../../../domain/ml/forest/runner.js';
import { threadTreeRunner } from '../../../activities/models/forest-threads.js';
import { permutationImportance } from '../../../domain/ml/importance.js';
import { matrixRow } from '../../../domain/ml/matrix.js';
import { rocAuc } from '../../../domain/ml/metrics.js';
import { thresholdDataset } from './helpers.js';

const small = thresholdDataset(1500, 6, 11);
const options = { nTrees: 12, seed: 7, minSamplesLeaf: 5 };

describe('sentinel forest', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const a = JSON.stringify(trainForest(small.X, small.y, options).forest.toJSON());
    const b = JSON.stringify(trainForest(small.X, small.y, options).forest.toJSON());
    const c = JSON.stringify(trainForest(small.X, small.y, { ...options, seed: 8 }).forest.toJSON());
    // Compared as booleans so a failure does not print megabytes of JSON.
    expect(a === b).toBe(true);
    expect(c === a).toBe(false);
  });

  it('gives the same model and OOB predictions on worker threads as single-threaded', async () => {
    const single = trainForest(small.X, small.y, options);
    const progress: number[] = [];
    // Three workers for twelve trees: an uneven deal of trees, so any dependence on the thread split shows.
    const parallel = await trainForestWith(small.X, small.y, options, threadTreeRunner, {
      threads: 3,
      onProgress: (done, total) => {
        expect(total).toBe(options.nTrees);
        progress.push(done);
      },
    });
    expect(JSON.stringify(parallel.forest.toJSON()) === JSON.stringify(single.forest.toJSON())).toBe(true);
    expect(Array.from(parallel.oob.probabilities)).toEqual(Array.from(single.oob.probabilities));
    expect(Array.from(parallel.oob.votes)).toEqual(Array.from(single.oob.votes));
    expect(progress).toEqual(Array.from({ length: options.nTrees }, (_, k) => k + 1));
  });

  it('stops the workers and rejects when aborted mid-training, and validates the thread count', async () => {
    const controller = new AbortController();
    const training = trainForestWith(small.X, small.y, { ...options, nTrees: 40 }, threadTreeRunner, {
      threads: 1,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 1) controller.abort(new Error('cancelled by test'));
      },
    });
    await expect(training).rejects.toThrow('cancelled by test');
    await expect(trainForestWith(small.X, small.y, options, threadTreeRunner, { threads: 0 })).rejects.toThrow(/threads/);
  });

  it('gives the same model on the default in-process tree runner, which also stops when aborted', async () => {
    const single = trainForest(small.X, small.y, options);
    const progress: number[] = [];
    const inProcess = await trainForestWith(small.X, small.y, options, inProcessTreeRunner, { onProgress: (done) => progress.push(done) });
    expect(JSON.stringify(inProcess.forest.toJSON()) === JSON.stringify(single.forest.toJSON())).toBe(true);
    expect(Array.from(inProcess.oob.probabilities)).toEqual(Array.from(single.oob.probabilities));
    expect(progress).toEqual(Array.from({ length: options.nTrees }, (_, k) => k + 1));
    const controller = new AbortController();
    const aborted = trainForestWith(small.X, small.y, options, undefined, {
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort(new Error('cancelled by test'));
      },
    });
    await expect(aborted).rejects.toThrow('cancelled by test');
  });

  it('round-trips through JSON with identical predictions', () => {
    const { forest } = trainForest(small.X, small.y, options);
    const loaded = SentinelForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())));
    const before = forest.predictProbaBatch(small.X);
    const after = loaded.predictProbaBatch(small.X);
    expect(Array.from(after)).toEqual(Array.from(before));
    for (let i = 0; i < 50; i++) expect(loaded.predictProba(matrixRow(small.X, i))).toBe(before[i]);
  });

  it('produces out-of-bag predictions for nearly every row, and an OOB score', () => {
    const result = trainForest(small.X, small.y, { ...options, nTrees: 20 });
    let covered = 0;
    for (const v of result.oob.votes) if (v > 0) covered++;
    expect(covered / small.X.rowCount).toBeGreaterThan(0.99);
    expect(result.oobScore.coveredRows).toBe(covered);
    expect(result.oobScore.rocAuc).toBeGreaterThan(0.85);
    expect(result.oob.probabilities.every((p) => p >= 0 && p <= 1)).toBe(true);
  });

  it('learns the signal and ranks held-out rows well', () => {
    const test = thresholdDataset(1000, 6, 12);
    const { forest } = trainForest(small.X, small.y, options);
    expect(rocAuc(forest.predictProbaBatch(test.X), test.y)).toBeGreaterThan(0.9);
  });

  it('reports progress single-threaded too', () => {
    const seen: [number, number][] = [];
    trainForest(small.X, small.y, { ...options, nTrees: 3 }, (done, total) => seen.push([done, total]));
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('refuses malformed model JSON', () => {
    const json = trainForest(small.X, small.y, { ...options, nTrees: 2 }).forest.toJSON();
    const cyclic = structuredClone(json);
    const firstInternal = cyclic.trees[0]!.feature.findIndex((f) => f >= 0);
    cyclic.trees[0]!.children[firstInternal] = 0;
    expect(() => SentinelForest.fromJSON(cyclic)).toThrow(/children/);
    expect(() => SentinelForest.fromJSON({ ...json, trees: [] })).toThrow(/sentinel-forest/);
    expect(() => SentinelForest.fromJSON({ ...json, formatVersion: 99 })).toThrow(/newer/);
  });

  it('rejects non-finite inputs and non-binary labels', () => {
    const X = { ...small.X, values: Float64Array.from(small.X.values) };
    X.values[3] = Number.NaN;
    expect(() => trainForest(X, small.y, options)).toThrow(/non-finite/);
    const y = Uint8Array.from(small.y);
    y[0] = 2;
    expect(() => trainForest(small.X, y, options)).toThrow(/label/);
  });

  it('permutation importance ranks the only informative feature first', () => {
    const test = thresholdDataset(800, 6, 13);
    const { forest } = trainForest(small.X, small.y, options);
    const importance = permutationImportance((X) => forest.predictProbaBatch(X), test.X, test.y, { seed: 1, repeats: 2 });
    expect(importance[0]!.index).toBe(0);
    expect(importance[0]!.meanDrop).toBeGreaterThan(0.3);
    for (const other of importance.slice(1)) expect(Math.abs(other.meanDrop)).toBeLessThan(0.1);
  });
});
