import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES, UNKNOWN_FEATURE_VALUE } from '../../../domain/ml/features.js';
import { createMatrix } from '../../../domain/ml/matrix.js';
import { buildExplanation, explainPrediction, recommendActionsForModel, type ModelExplanation } from '../../../domain/models/explain.js';

const FREE = FEATURE_NAMES.indexOf('free_space_to_expected_size');
const FAIL5 = FEATURE_NAMES.indexOf('failures_last_24_hours');
const HOUR = FEATURE_NAMES.indexOf('hour_of_day_utc');
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
// A known model: log-odds = -1 - 1 * free space ratio + 0.8 * failures in the last 24 h.
const predict = (row: ArrayLike<number>) => sigmoid(-1 - (row[FREE] as number) + 0.8 * (row[FAIL5] as number));

const typical = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<string, number>;
typical.free_space_to_expected_size = 3;
typical.hour_of_day_utc = 12;
const explanation: ModelExplanation = {
  importance: [
    { feature: 'free_space_to_expected_size', meanDrop: 0.2 },
    { feature: 'failures_last_24_hours', meanDrop: 0.1 },
    { feature: 'hour_of_day_utc', meanDrop: 0 },
  ],
  typical,
  p10: typical,
  p90: typical,
};

function rowWith(values: Record<number, number>): number[] {
  const row = new Array(FEATURE_COUNT).fill(0);
  for (const [k, v] of Object.entries(values)) row[Number(k)] = v;
  return row;
}

describe('explaining a model prediction', () => {
  it('attributes log-odds to the important features by setting each to its typical value (hand-worked)', () => {
    const row = rowWith({ [FREE]: 0.5, [FAIL5]: 2, [HOUR]: 3 });
    const p = predict(row); // logit 0.1
    const factors = explainPrediction(predict, row, p, explanation);
    expect(factors).toEqual([
      { factor: 'free_space_to_expected_size', value: 0.5, contribution: 2.5, description: 'free space 0.50x the expected backup size (typical 3.00x)' },
      { factor: 'failures_last_24_hours', value: 2, contribution: 1.6, description: '2 failure(s) in the last 24 h' },
    ]);
    expect(recommendActionsForModel(factors, p, 0.5)).toEqual([
      'High failure risk: confirm the prerequisites before this backup runs.',
      'Free space on the backup destination or move the backup elsewhere.',
      'Investigate the most recent failed run (logs, error message) before retrying.',
    ]);
  });

  it('shows risk-lowering factors with a negative contribution, unknown values as unknown, and nothing below the cut-off', () => {
    const row = rowWith({ [FREE]: 5, [FAIL5]: 0.01 });
    const factors = explainPrediction(predict, row, predict(row), explanation);
    expect(factors).toEqual([
      { factor: 'free_space_to_expected_size', value: 5, contribution: -2, description: 'free space 5.00x the expected backup size (typical 3.00x)' },
    ]);
    expect(recommendActionsForModel(factors, predict(row), 0.5)).toEqual(['No action needed: proceed with the backup.']);
    const unknown = rowWith({ [FREE]: UNKNOWN_FEATURE_VALUE });
    expect(explainPrediction(predict, unknown, predict(unknown), explanation)).toEqual([
      { factor: 'free_space_to_expected_size', value: null, contribution: 4, description: 'free space to expected size unknown' },
    ]);
  });

  it('measures importance on validation rows and typical values on training rows, seeded', () => {
    const n = 400;
    const X = createMatrix(n, FEATURE_COUNT);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      X.values[i * FEATURE_COUNT + FREE] = (i % 20) / 4;
      X.values[i * FEATURE_COUNT + FAIL5] = i % 3;
      y[i] = i % 20 < 3 ? 1 : 0;
    }
    const batch = (M: typeof X) => Float64Array.from({ length: M.rowCount }, (_, i) => predict(M.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)));
    const a = buildExplanation(batch, X, X, y, 3);
    expect(a).toEqual(buildExplanation(batch, X, X, y, 3));
    expect(a.importance[0]!.feature).toBe('free_space_to_expected_size');
    expect(a.importance.find((r) => r.feature === 'hour_of_day_utc')!.meanDrop).toBe(0);
    expect(a.typical.free_space_to_expected_size).toBe(2.375);
    expect(a.p10.failures_last_24_hours).toBe(0);
    expect(a.p90.failures_last_24_hours).toBe(2);
  });
});
