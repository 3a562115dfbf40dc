import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../../domain/ml/algorithms.js';
import { buildFeatureTable } from '../../../domain/ml/features.js';
import { candidateParams, expandingWindowFolds, MAX_CANDIDATES, selectHyperparameters } from '../../../domain/ml/selection.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { timeSplit } from '../../../domain/ml/split.js';

describe('expanding-window folds', () => {
  it('validates every fold on rows newer than all its training rows, and each fold trains on everything before', () => {
    const rows = Uint32Array.from({ length: 103 }, (_, i) => 1000 + i); // indices already in time order
    const folds = expandingWindowFolds(rows, 3);
    expect(folds).toHaveLength(3);
    for (const fold of folds) {
      expect(fold.train.length).toBeGreaterThan(0);
      expect(Array.from(fold.train)).toEqual(Array.from(rows.slice(0, fold.train.length))); // expanding: from the start
      expect(Math.max(...fold.train)).toBeLessThan(Math.min(...fold.validation)); // never the future
    }
    // Each fold's validation block is the next fold's newest training rows; the blocks cover everything after the first.
    for (let k = 1; k < folds.length; k++) {
      const prev = folds[k - 1]!;
      expect(folds[k]!.train.length).toBe(prev.train.length + prev.validation.length);
    }
    const last = folds.at(-1)!;
    expect(last.train.length + last.validation.length).toBe(rows.length);
    expect(() => expandingWindowFolds(rows, 0)).toThrow(/folds must be a whole number/);
  });
});

describe('candidate params', () => {
  it('starts with the defaults, never changes a fixed param, draws only listed values and never repeats', () => {
    const space = ALGORITHMS['sentinel-forest'].searchSpace!;
    const list = candidateParams('sentinel-forest', { nTrees: 7, seed: 3 }, 1);
    expect(list[0]).toEqual({ nTrees: 7, seed: 3 });
    expect(list.length).toBe(MAX_CANDIDATES);
    const keys = new Set(list.map((p) => JSON.stringify(Object.entries(p).sort())));
    expect(keys.size).toBe(list.length);
    for (const p of list.slice(1)) {
      expect(p.nTrees).toBe(7);
      expect(p.seed).toBe(3);
      for (const [name, values] of Object.entries(space)) if (name !== 'nTrees') expect(values).toContain(p[name]);
    }
    expect(candidateParams('sentinel-forest', { nTrees: 7, seed: 3 }, 1)).toEqual(list); // seeded
    const everythingFixed = Object.fromEntries(Object.entries(space).map(([k, v]) => [k, v[0]]));
    expect(candidateParams('sentinel-forest', everythingFixed, 1)).toEqual([everythingFixed]);
  });
});

describe('model selection by time-ordered cross-validation', async () => {
  const runs = generateHistory({ targets: 6, days: 30, seed: 4 });
  const table = buildFeatureTable(runs);
  const { train } = timeSplit(table.startedAtMs, 0.8);
  const select = (budgetSeconds: number, now?: () => number) =>
    selectHyperparameters(table.matrix, table.labels, table.startedAtMs, train, {
      algorithm: 'sentinel-forest',
      fixedParams: { nTrees: 8, seed: 2 },
      trainOnlyParams: { threads: 1 },
      budgetSeconds,
      ...(now ? { now } : {}),
    });

  it('with a budget of 0 evaluates the default configuration only', async () => {
    const result = (await select(0))!;
    expect(result.report.candidates).toHaveLength(1);
    expect(result.report.stopped).toBe('budget');
    expect(result.params).toEqual({ nTrees: 8, seed: 2 });
    expect(result.report.candidates[0]!.folds).toHaveLength(result.report.folds.length);
  });

  it('stops starting candidates when the budget would be exceeded, and picks the best mean PR-AUC among candidates no worse than the default on any fold', async () => {
    // A clock that moves 5 s per reading: every candidate "takes" 5 s, and the second starts at 20 s spent. With a
    // 30 s budget a third would start at 35 s spent + 5 s for the slowest so far: over the budget, so it never starts.
    let t = 0;
    const timed = (await select(30, () => (t += 5000)))!;
    expect(timed.report.candidates).toHaveLength(2);
    expect(timed.report.stopped).toBe('budget');

    const all = (await select(1e9))!;
    expect(all.report.stopped).toBe('exhausted');
    expect(all.report.candidates).toHaveLength(MAX_CANDIDATES);
    // The best mean PR-AUC among the default and the candidates at least as good as the default on every fold.
    const base = all.report.candidates[0]!;
    const eligible = all.report.candidates.filter((c) => c.folds.every((f, k) => f.prAuc! >= base.folds[k]!.prAuc!));
    expect(eligible[0]).toBe(base);
    const best = Math.max(...eligible.map((c) => c.mean.prAuc ?? -1));
    expect(all.report.candidates[all.report.chosen]!.mean.prAuc).toBe(best);
    expect(eligible).toContain(all.report.candidates[all.report.chosen]);
    // Not vacuous on this history: some candidate has a better mean than the default but loses on a fold.
    expect(all.report.candidates.some((c) => c.mean.prAuc! > base.mean.prAuc! && !eligible.includes(c))).toBe(true);
    expect(all.params).toEqual(all.report.candidates[all.report.chosen]!.params);
    // Out-of-fold rows: exactly the validation blocks, each scored once, all newer than the first fold's training rows.
    const folds = expandingWindowFolds(train, 3);
    expect(Array.from(all.oof.rows)).toEqual(folds.flatMap((f) => Array.from(f.validation)));
    expect(all.oof.scores.length).toBe(all.oof.rows.length);
  }, 120_000);

  it('returns null when no fold has enough failures on both sides', async () => {
    const none = new Uint8Array(table.labels.length);
    const result = await selectHyperparameters(table.matrix, none, table.startedAtMs, train, {
      algorithm: 'sentinel-forest',
      fixedParams: {},
      budgetSeconds: 0,
    });
    expect(result).toBeNull();
  });
});
