import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { trainFailureModel } from '../../../domain/ml/training.js';
import { backtest } from '../../../domain/models/backtest.js';

const runs = generateHistory({ targets: 4, days: 30, seed: 9 });
const cut = runs[Math.floor(runs.length * 0.7)]!.startedAt;
const stored = runs.filter((r) => r.startedAt < cut);
const file = runs.filter((r) => r.startedAt >= cut);
const flip = (r: BackupRunRecord): BackupRunRecord => ({ ...r, status: r.status === 'failed' ? 'completed' : 'failed', durationSeconds: 1, sizeBytes: 1 });

describe('backtest over a labelled file', async () => {
  const trained = await trainFailureModel(stored, {
    algorithm: 'sentinel-forest',
    params: { nTrees: 15, seed: 4, threads: 1 },
    createdAt: new Date(0),
    createdBy: 'test',
  });
  const base = backtest(file, stored, trained.model);

  it('scores every file row once, with the model and with the rules', () => {
    expect(base.rows).toBe(file.length);
    expect(base.metrics.rows).toBe(file.length);
    expect(base.metrics.failures).toBe(file.filter((r) => r.status === 'failed').length);
    expect(base.rules.rows).toBe(file.length);
    expect(base.metrics.prAuc).not.toBe(base.rules.prAuc);
    const doubled = backtest([...file, ...file.slice(0, 10)], stored, trained.model);
    expect(doubled.repeatedInFile).toBe(10);
    expect(doubled.metrics).toEqual(base.metrics);
  });

  it("ignores stored copies of the file's own rows, even with other outcomes (no leakage)", () => {
    const leaky = backtest(file, [...stored, ...file.map(flip)], trained.model);
    expect(leaky.metrics).toEqual(base.metrics);
    expect(leaky.rules).toEqual(base.rules);
  });

  it("lets a row see the file's earlier rows, never its later ones", () => {
    // History that starts after the first half of the file (whatever its outcomes) changes nothing for it.
    const half = file.slice(0, Math.floor(file.length / 2));
    const later = file
      .slice(half.length)
      .map(flip)
      .map((r) => ({ ...r, backupId: `later-${r.backupId}` }));
    expect(backtest(half, [...stored, ...later], trained.model).metrics).toEqual(backtest(half, stored, trained.model).metrics);
    // ...while changing earlier rows does change later predictions.
    const earlyChanged = [...half.map(flip), ...file.slice(half.length)];
    const c = backtest(file.slice(half.length), [...stored, ...earlyChanged.slice(0, half.length)], trained.model);
    const d = backtest(file.slice(half.length), [...stored, ...half], trained.model);
    expect(c.metrics.prAuc).not.toBe(d.metrics.prAuc);
  });
});
