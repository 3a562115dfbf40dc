/** Training options of the sentinel forest, their defaults and validation. */
import { z } from 'zod';
import { MAX_SUPPORTED_BINS } from './binning.js';

export const forestOptionsSchema = z
  .object({
    /** Number of trees. */
    nTrees: z.number().int().min(1).max(5000),
    /** Depth limit; the root is depth 0. */
    maxDepth: z.number().int().min(1).max(64),
    /** Minimum bootstrap draws in each leaf; larger leaves give smoother probabilities and smaller models. */
    minSamplesLeaf: z.number().int().min(1),
    /** Features tried per split: 'sqrt' (floor(sqrt(p))), an integer count, or a fraction in (0, 1). */
    maxFeatures: z.union([z.literal('sqrt'), z.literal('all'), z.number().positive()]),
    /** Quantile bins per feature (at most 256 so bins fit a byte). */
    maxBins: z.number().int().min(2).max(MAX_SUPPORTED_BINS),
    /** Rows used to compute the bin thresholds (evenly strided, deterministic). */
    binSampleSize: z.number().int().min(100),
    /**
     * 'balanced' weighs each class by n / (2 * n_class) in splits and leaf probabilities, so ~5% failures are
     * not drowned; 'none' uses plain counts. Leaf values are then not base-rate probabilities: calibrate.
     */
    classWeight: z.enum(['balanced', 'none']),
    /** Bootstrap draws per tree as a fraction of the rows (1 = classic bootstrap; < 1 trains faster). */
    sampleFraction: z.number().gt(0).max(1),
    /**
     * Cap on bootstrap draws per tree. Keeps training time linear-ish on very large histories (1M rows: each tree
     * sees 250k draws, the forest still sees everything) at no visible cost in accuracy.
     */
    maxSamplesPerTree: z.number().int().min(1),
    seed: z.number().int().min(0).max(0xffffffff),
  })
  .strict();

export type ForestOptions = z.infer<typeof forestOptionsSchema>;

export const DEFAULT_FOREST_OPTIONS: ForestOptions = {
  nTrees: 100,
  maxDepth: 12,
  minSamplesLeaf: 50,
  maxFeatures: 'sqrt',
  maxBins: 255,
  binSampleSize: 200_000,
  classWeight: 'balanced',
  sampleFraction: 1,
  maxSamplesPerTree: 250_000,
  seed: 42,
};

export function resolveForestOptions(options: Partial<ForestOptions> = {}): ForestOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return forestOptionsSchema.parse({ ...DEFAULT_FOREST_OPTIONS, ...defined });
}

export function featuresPerSplit(maxFeatures: ForestOptions['maxFeatures'], featureCount: number): number {
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(featureCount)));
  if (maxFeatures === 'all') return featureCount;
  if (maxFeatures < 1) return Math.max(1, Math.floor(maxFeatures * featureCount));
  return Math.min(featureCount, Math.floor(maxFeatures));
}

/** Class weights [w0, w1]; a missing class keeps weight 1 (it never appears, so it does not matter). */
export function classWeights(labels: Uint8Array, mode: ForestOptions['classWeight']): [number, number] {
  if (mode === 'none') return [1, 1];
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] as number;
  const negatives = labels.length - positives;
  const n = labels.length;
  return [negatives > 0 ? n / (2 * negatives) : 1, positives > 0 ? n / (2 * positives) : 1];
}
