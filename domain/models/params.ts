/**
 * Up-front checks of a training request, so a bad parameter or an infeasible algorithm fails at once with a clear
 * message (a non-retryable InvalidInput) instead of minutes into training.
 */
import { z } from 'zod';
import { resolveBoostingOptions } from '../ml/boosting/options.js';
import { resolveForestOptions } from '../ml/forest/options.js';
import { DEFAULT_ML_RANDOM_FOREST_PARAMS, mlRandomForestParamsSchema } from '../ml/ml-random-forest-adapter.js';
import type { ModelAlgorithm } from './contract.js';

/**
 * ml-random-forest trains in quadratic time (about 8 minutes for 10k rows x 50 trees on two cores, see
 * BENCHMARKS.md): histories beyond this many runs are refused rather than left running for hours.
 */
export const ML_RANDOM_FOREST_MAX_RUNS = 5000;

function message(error: unknown): string {
  if (!(error instanceof z.ZodError)) return (error as Error).message;
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Null when the params are valid for the algorithm, else what is wrong. */
export function checkAlgorithmParams(algorithm: ModelAlgorithm, params: Record<string, unknown> = {}): string | null {
  const { threads, selectionBudgetSeconds, ...rest } = params;
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64)) {
    return 'threads must be a whole number between 1 and 64';
  }
  if (
    selectionBudgetSeconds !== undefined &&
    (typeof selectionBudgetSeconds !== 'number' || !(selectionBudgetSeconds >= 0) || selectionBudgetSeconds > 86_400)
  ) {
    return 'selectionBudgetSeconds must be a number of seconds between 0 and 86400';
  }
  try {
    if (algorithm === 'sentinel-forest') resolveForestOptions(rest);
    else if (algorithm === 'sentinel-boosting') resolveBoostingOptions(rest);
    else mlRandomForestParamsSchema.parse({ ...DEFAULT_ML_RANDOM_FOREST_PARAMS, ...rest });
    return null;
  } catch (error) {
    return `invalid ${algorithm} params: ${message(error)}`;
  }
}

/** Null when the algorithm can train on this many runs in reasonable time, else why not. */
export function checkAlgorithmFeasible(algorithm: ModelAlgorithm, runs: number): string | null {
  if (algorithm === 'ml-random-forest' && runs > ML_RANDOM_FOREST_MAX_RUNS) {
    return (
      `ml-random-forest trains in quadratic time and would take hours on ${runs} runs (limit ${ML_RANDOM_FOREST_MAX_RUNS}); ` +
      'use the default sentinel-forest'
    );
  }
  return null;
}
