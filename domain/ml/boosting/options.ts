/** Training options of sentinel-boosting, their defaults and validation (docs/model-lifecycle.md lists them). */
import { z } from 'zod';
import { MAX_SUPPORTED_BINS } from '../forest/binning.js';

export const boostingOptionsSchema = z
  .object({
    /** Most boosting rounds (trees); early stopping usually ends sooner. */
    maxIterations: z.number().int().min(1).max(10_000),
    /** Shrinkage: each tree's leaf values are multiplied by it. */
    learningRate: z.number().gt(0).max(1),
    /** Leaves per tree. */
    maxLeaves: z.number().int().min(2).max(4096),
    /** Depth limit; the root is depth 0. */
    maxDepth: z.number().int().min(1).max(64),
    /** 'leaf-wise' splits the leaf with the largest gain next (LightGBM); 'depth-wise' splits level by level. */
    growth: z.enum(['leaf-wise', 'depth-wise']),
    /** Fewest training rows in a leaf. */
    minSamplesLeaf: z.number().int().min(1),
    /** Smallest hessian sum in a leaf (LightGBM's min_sum_hessian_in_leaf). */
    minHessianLeaf: z.number().min(0),
    /** L2 penalty on leaf values (lambda): leaf value = -G / (H + l2). */
    l2Regularization: z.number().min(0),
    /** Smallest loss reduction a split must bring. */
    minGainToSplit: z.number().min(0),
    /** Quantile bins per feature (at most 256 so bins fit a byte); the forest's binning. */
    maxBins: z.number().int().min(2).max(MAX_SUPPORTED_BINS),
    /** Rows used to compute the bin thresholds (evenly strided, deterministic). */
    binSampleSize: z.number().int().min(100),
    /**
     * Share of the training rows, the newest (the last rows: callers pass rows in time order), held out to stop
     * early and to calibrate on. 0 trains every round on every row and gives no held-out predictions.
     */
    validationFraction: z.number().min(0).lt(1),
    /** Stop when the held-out log-loss has not improved for this many rounds; 0 never stops early. */
    earlyStoppingRounds: z.number().int().min(0),
    /**
     * The held-out fold is used only when it has at least this many failures and this many successes; otherwise
     * every row is trained on for maxIterations rounds and no held-out predictions are given (small histories).
     */
    minValidationFailures: z.number().int().min(1),
    /** Share of the training rows each round learns from (drawn without replacement from the seed); 1 = all. */
    subsample: z.number().gt(0).max(1),
    /** Share of the features each tree may split on (drawn from the seed); 1 = all. */
    featureFraction: z.number().gt(0).max(1),
    seed: z.number().int().min(0).max(0xffffffff),
  })
  .strict();

export type BoostingOptions = z.infer<typeof boostingOptionsSchema>;

/**
 * LightGBM's and scikit-learn's HistGradientBoosting defaults where they agree (100 rounds, 31 leaves, 0.1, 20 rows
 * per leaf, 255 bins, 10 rounds of patience). The held-out fold needs 50 failures: on smaller histories (about
 * 10k runs at a 5 % failure rate, where HistGradientBoosting's `early_stopping='auto'` also turns it off) a fold
 * of a few dozen failures stopped at the wrong round and gave Platt scaling a reversed slope on the evaluation
 * suite. BENCHMARKS.md compares the three with these settings.
 */
export const DEFAULT_BOOSTING_OPTIONS: BoostingOptions = {
  maxIterations: 100,
  learningRate: 0.1,
  maxLeaves: 31,
  maxDepth: 16,
  growth: 'leaf-wise',
  minSamplesLeaf: 20,
  minHessianLeaf: 1e-3,
  l2Regularization: 0,
  minGainToSplit: 0,
  maxBins: 255,
  binSampleSize: 200_000,
  validationFraction: 0.1,
  earlyStoppingRounds: 10,
  minValidationFailures: 50,
  subsample: 1,
  featureFraction: 1,
  seed: 42,
};

/**
 * The capacity defaults used instead on small histories (fewer than SMALL_HISTORY_ROWS rows, or a held-out fold
 * too small to stop early): 100 rounds of 31 leaves memorised the few failures of the evaluation suite's histories
 * (about 6,900 training rows; incidents: 0.36 of the attainable PR-AUC with feature pipeline 2, below the rules, even
 * where early stopping ran, on a fold inside one incident). These give 0.84-1.0 on every scenario (BENCHMARKS.md,
 * "Evaluation suite"). A value the caller sets wins.
 */
export const SMALL_HISTORY_ROWS = 20_000;
export const SMALL_HISTORY_BOOSTING_DEFAULTS: Pick<BoostingOptions, 'maxIterations' | 'maxLeaves' | 'minSamplesLeaf' | 'l2Regularization'> = {
  maxIterations: 50,
  maxLeaves: 7,
  minSamplesLeaf: 100,
  l2Regularization: 10,
};

export function resolveBoostingOptions(options: Partial<BoostingOptions> = {}, smallHistory = false): BoostingOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const defaults = smallHistory ? { ...DEFAULT_BOOSTING_OPTIONS, ...SMALL_HISTORY_BOOSTING_DEFAULTS } : DEFAULT_BOOSTING_OPTIONS;
  return boostingOptionsSchema.parse({ ...defaults, ...defined });
}
