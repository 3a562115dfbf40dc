import { describe, expect, it } from 'vitest';
import {
  failureMinimums,
  rollbackModelWorkflowId,
  trainModelWorkflowId,
  validateRollbackModelInput,
  validateTrainModelInput,
} from '../../../domain/models/contract.js';
import { checkAlgorithmFeasible, checkAlgorithmParams, ML_RANDOM_FOREST_MAX_RUNS } from '../../../domain/models/params.js';

describe('lifecycle workflow inputs', () => {
  it('accepts {} (the weekly schedule) and the documented fields', () => {
    expect(validateTrainModelInput({})).toEqual([]);
    expect(validateTrainModelInput(undefined)).toEqual([]);
    expect(validateTrainModelInput({ algorithm: 'ml-random-forest', params: { nTrees: 10 }, minFailures: 10 })).toEqual([]);
    expect(validateRollbackModelInput({ toVersion: 3, keepPaused: true, reason: 'bad model' })).toEqual([]);
  });

  it('lists every problem', () => {
    expect(validateTrainModelInput({ algorithm: 'xgboost', params: [], minFailures: 1.5, extra: 1 })).toEqual([
      'unknown field "extra"',
      'algorithm must be one of sentinel-forest, sentinel-boosting, ml-random-forest (got "xgboost")',
      'params must be an object',
      'minFailures must be a whole number between 2 and 1000000',
    ]);
    expect(validateRollbackModelInput({ toVersion: 0, keepPaused: 'yes' })).toEqual([
      'toVersion must be a positive whole number',
      'keepPaused must be true or false',
    ]);
    expect(validateRollbackModelInput('x')).toEqual(['input must be an object']);
  });

  it("splits the failure minimum 80/20 like the data (25 -> the promotion gate's 20 and 5)", () => {
    expect(failureMinimums(25)).toEqual({ training: 20, validation: 5 });
    expect(failureMinimums(2)).toEqual({ training: 2, validation: 1 });
  });

  it('names workflows meaningfully', () => {
    expect(trainModelWorkflowId(new Date('2026-01-02T03:04:05Z'))).toBe('train-model/2026-01-02T03:04:05.000Z');
    expect(rollbackModelWorkflowId('x')).toBe('rollback-model/x');
  });

  it('checks params and feasibility before any training starts', () => {
    expect(checkAlgorithmParams('sentinel-forest', { nTrees: 50, maxDepth: 8, threads: 2 })).toBeNull();
    expect(checkAlgorithmParams('sentinel-forest', { nTrees: 0, colour: 'red' })).toBe(
      'invalid sentinel-forest params: nTrees: Too small: expected number to be >=1; Unrecognized key: "colour"',
    );
    expect(checkAlgorithmParams('ml-random-forest', { maxFeatures: 2 })).toMatch(/^invalid ml-random-forest params: maxFeatures/);
    expect(checkAlgorithmFeasible('ml-random-forest', ML_RANDOM_FOREST_MAX_RUNS + 1)).toMatch(/quadratic/);
    expect(checkAlgorithmFeasible('sentinel-forest', 10_000_000)).toBeNull();
  });
});
