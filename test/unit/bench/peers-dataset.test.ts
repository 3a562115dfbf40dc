/**
 * bench:peers scores a scenario's true failure probabilities on the same validation rows as the models (the
 * attainable PR-AUC): the feature table's rows must be the scenario's runs in their order, or the truth would be
 * scored against other runs' outcomes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset, writeDataset } from '../../../bench/peers/dataset.js';
import { evaluateBinary } from '../../../domain/ml/metrics.js';
import { SCENARIOS } from '../../../domain/ml/scenarios/scenarios.js';
import { timeSplitRuns } from '../../../domain/ml/split.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'peers-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench:peers data sets', () => {
  it("score the scenario's true probabilities on the validation rows the models are scored on", () => {
    const scenario = SCENARIOS.find((s) => s.name === 'disk-pressure')!;
    const { runs, trueProbability } = scenario.generate({ seed: 1, size: { targets: 4, days: 40 } });
    const meta = writeDataset(path.join(dir, 'disk'), 'disk', 'test', runs, trueProbability);
    const { validY } = readDataset(path.join(dir, 'disk'));

    // The evaluation suite's own way (domain/ml/scenarios/evaluate.ts): the split over the runs themselves.
    const split = timeSplitRuns(runs);
    const labels = Uint8Array.from(split.validation, (i) => (runs[i]!.status === 'failed' ? 1 : 0));
    const expected = evaluateBinary(
      Float64Array.from(split.validation, (i) => trueProbability[i]!),
      labels,
    );
    expect([...validY]).toEqual([...labels]);
    expect(meta.truth).toEqual({ prAuc: expected.prAuc, rocAuc: expected.rocAuc, brier: expected.brier });
    // Informative on this scenario, so a misaligned truth would score visibly lower.
    expect(meta.truth!.prAuc!).toBeGreaterThan(2 * (meta.validationFailures / (meta.rows - meta.trainRows)));

    const shuffled = Float64Array.from(trueProbability).reverse();
    expect(writeDataset(path.join(dir, 'shuffled'), 'shuffled', 'test', runs, shuffled).truth!.prAuc).not.toBe(expected.prAuc);
  });

  it('have no truth for a history without true probabilities (the generator sizes)', () => {
    const scenario = SCENARIOS.find((s) => s.name === 'weekday')!;
    const { runs } = scenario.generate({ seed: 2, size: { targets: 2, days: 30 } });
    expect(writeDataset(path.join(dir, 'plain'), 'plain', 'test', runs).truth).toBeNull();
  });
});
