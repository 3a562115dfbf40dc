import { linearRegression } from 'simple-statistics';
import { percentile, round } from '../decision-latency/stats.js';
import { mib } from './proc.js';
import type { MemorySample } from './sampler.js';

/** Latency distribution (ms); nearest-rank percentiles, so each figure is an observed run. */
export interface LatencyPercentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function latencyPercentiles(samples: readonly number[]): LatencyPercentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : Number.NaN;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    mean: round(mean),
  };
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export interface SoakMemoryVerdict {
  boundMiB: number;
  /** Length of the windows at the start and the end of the soak whose median RSS is compared. */
  windowSeconds: number;
  samples: number;
  /** First sample after the warm-up, and the median of the samples in the first window. */
  startMiB: number;
  startWindowMedianMiB: number;
  maxMiB: number;
  endMiB: number;
  endWindowMedianMiB: number;
  /** endWindowMedian - startWindowMedian: what the bound is checked against. */
  growthMiB: number;
  growthPercent: number;
  /** Raw last sample - first sample, for comparison (noisier: a single GC can move it). */
  rawGrowthMiB: number;
  /** Least-squares slope over all soak samples. */
  slopeMiBPerMinute: number;
  pass: boolean;
}

/**
 * Judges RSS over the soak window [from, to]. Single samples move with every GC cycle, so start and end are the
 * medians of the samples in the first and the last `windowMs`; the bound applies to their difference.
 */
export function judgeSoakMemory(samples: readonly MemorySample[], from: number, to: number, windowMs: number, boundMiB: number): SoakMemoryVerdict {
  const inSoak = samples.filter((s) => s.at >= from && s.at <= to);
  if (inSoak.length < 2) throw new Error(`only ${inSoak.length} RSS sample(s) in the soak window`);
  const first = inSoak[0]!;
  const last = inSoak[inSoak.length - 1]!;
  const startWindow = inSoak.filter((s) => s.at <= from + windowMs).map((s) => s.rssKiB);
  const endWindow = inSoak.filter((s) => s.at >= to - windowMs).map((s) => s.rssKiB);
  const startMedian = median(startWindow);
  const endMedian = median(endWindow);
  const growthKiB = endMedian - startMedian;
  const line = linearRegression(inSoak.map((s) => [(s.at - from) / 60_000, s.rssKiB / 1024]));
  return {
    boundMiB,
    windowSeconds: Math.round(windowMs / 1000),
    samples: inSoak.length,
    startMiB: mib(first.rssKiB),
    startWindowMedianMiB: mib(startMedian),
    maxMiB: mib(Math.max(...inSoak.map((s) => s.rssKiB))),
    endMiB: mib(last.rssKiB),
    endWindowMedianMiB: mib(endMedian),
    growthMiB: mib(growthKiB),
    growthPercent: round((growthKiB / startMedian) * 100),
    rawGrowthMiB: mib(last.rssKiB - first.rssKiB),
    slopeMiBPerMinute: round(line.m, 2),
    pass: growthKiB / 1024 <= boundMiB,
  };
}
