import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '../../../domain/ml/rng.js';
import { timeSplit, timeSplitRuns } from '../../../domain/ml/split.js';

describe('seeded rng', () => {
  it('repeats its stream for a seed and differs between seeds', () => {
    const a = createRng(123);
    const b = createRng(123);
    const c = createRng(124);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws integers in range, roughly uniformly', () => {
    const rng = createRng(5);
    const counts = new Array(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = rng.intBelow(10);
      if (!(k >= 0 && k < 10 && Number.isInteger(k))) outOfRange++;
      else counts[k]++;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  it('shuffles into a permutation and samples with replacement', () => {
    const rng = createRng(9);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    const sample = rng.sampleWithReplacement(5, 1000);
    expect(sample.length).toBe(1000);
    expect(new Set(sample).size).toBe(5);
  });

  it('derives distinct per-index seeds deterministically', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => deriveSeed(42, i));
    expect(new Set(seeds).size).toBe(1000);
    expect(deriveSeed(42, 7)).toBe(seeds[7]);
    expect(deriveSeed(43, 7)).not.toBe(seeds[7]);
  });
});

describe('time split', () => {
  it('trains on the oldest 80% and validates on the newest 20%, whatever the input order', () => {
    const times = [50, 10, 90, 30, 70, 20, 100, 40, 60, 80];
    const split = timeSplit(times);
    expect(Array.from(split.train).map((i) => times[i])).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(Array.from(split.validation).map((i) => times[i])).toEqual([90, 100]);
    expect(split.cutoffMs).toBe(90);
  });

  it('never puts the same instant on both sides', () => {
    const times = [1, 2, 3, 4, 5, 6, 7, 8, 8, 9];
    const split = timeSplit(times);
    const trainTimes = Array.from(split.train).map((i) => times[i] as number);
    const validationTimes = Array.from(split.validation).map((i) => times[i] as number);
    expect(Math.max(...trainTimes)).toBeLessThan(Math.min(...validationTimes));
    expect(split.train.length + split.validation.length).toBe(times.length);
  });

  it('works on run records', () => {
    const runs = [3, 1, 2, 5, 4].map((d) => ({ startedAt: new Date(Date.UTC(2024, 0, d)) }));
    const split = timeSplitRuns(runs);
    expect(Array.from(split.validation)).toEqual([3]);
  });
});
