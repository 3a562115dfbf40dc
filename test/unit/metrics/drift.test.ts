import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { buildBaselines } from '../../../domain/metrics/baselines.js';
import { EWMA_L, EWMA_LAMBDA, detectRunDrift, ewmaChart } from '../../../domain/metrics/drift.js';
import { MetricsInputError } from '../../../domain/metrics/errors.js';
import { scoreRun } from '../../../domain/metrics/scoring.js';
import { DAY_MS, HOUR_MS, SUNDAY, mulberry32, run } from './helpers.js';

describe('ewmaChart', () => {
  it('hand-computed chart with a given centre and sigma', () => {
    // lambda 0.5, L 1, centre 0, sigma 1; width_t = sqrt(0.5/1.5 * (1 - 0.25^t)):
    // t1 z=0 w=0.5; t2 z=0 w=0.559; t3 z=0.5 w=0.5728; t4 z=0.75 w=0.5762 -> first signal at index 3
    const chart = ewmaChart([0, 0, 1, 1, 1], { lambda: 0.5, L: 1, centre: 0, sigma: 1 });
    expect(chart.status).toBe('monitored');
    if (chart.status !== 'monitored') return;
    expect(chart).toMatchObject({ signalled: true, firstSignalIndex: 3, direction: 'above', monitoredFrom: 0 });
    expect(chart.final.ewma).toBeCloseTo(0.875, 12);
    expect(chart.final.upper).toBeCloseTo(Math.sqrt((1 / 3) * (1 - 0.25 ** 5)), 12);
  });

  it('documents its defaults', () => {
    expect([EWMA_LAMBDA, EWMA_L]).toEqual([0.1, 2.814]);
  });

  it('calibrates on the first points and signals a downward shift', () => {
    const values = [...Array.from({ length: 20 }, (_, i) => 10 + (i % 2 ? 0.1 : -0.1)), ...Array.from({ length: 20 }, () => 9.8)];
    const chart = ewmaChart(values);
    expect(chart).toMatchObject({ status: 'monitored', signalled: true, direction: 'below', monitoredFrom: 20 });
  });

  it('too short a series is "not enough history"; non-finite values throw', () => {
    expect(ewmaChart([1, 2, 3])).toMatchObject({ status: 'insufficient_history', available: 3, required: 21 });
    expect(() => ewmaChart([1, Number.NaN, 3], { centre: 0, sigma: 1 })).toThrow(MetricsInputError);
    expect(() => ewmaChart([1], { lambda: 2 })).toThrow(/lambda/);
  });

  it('a constant calibration window gives zero-width limits but no NaN', () => {
    const chart = ewmaChart([...Array.from({ length: 20 }, () => 5), 5, 5, 5]);
    expect(chart).toMatchObject({ status: 'monitored', signalled: false, sigma: 0 });
  });
});

describe('detectRunDrift: slow creep that per-run scoring misses', () => {
  // 20 in-control runs around 100 s (+-4% jitter), then durations creep up 0.25% per run to +7.8% and stay.
  const random = mulberry32(11);
  const runs: BackupRunRecord[] = [];
  for (let i = 0; i < 80; i++) {
    const creep = i < 20 ? 0 : Math.min(0.075, (i - 20) * 0.0025);
    runs.push(
      run({
        target: 'creeper',
        startedAt: new Date(SUNDAY + i * DAY_MS + 2 * HOUR_MS),
        durationSeconds: Math.exp(Math.log(100) + creep + (random() * 2 - 1) * 0.04),
      }),
    );
  }

  it('no single run is anomalous against the baseline learned from the in-control runs', () => {
    const baselines = buildBaselines(runs.slice(0, 20), { seasonal: false });
    for (const r of runs.slice(20)) {
      const score = scoreRun(baselines, r);
      expect(score.status).toBe('scored');
      if (score.status === 'scored') expect(score.isAnomaly).toBe(false);
    }
  });

  it('the EWMA chart signals the creep, upward and dangerous', () => {
    const drift = detectRunDrift([...runs].reverse(), 'durationSeconds');
    expect(drift.status).toBe('monitored');
    if (drift.status !== 'monitored') return;
    expect(drift).toMatchObject({ signalled: true, direction: 'above', dangerous: true });
    const index = runs.findIndex((r) => r.backupId === drift.backupId);
    expect(index).toBeGreaterThan(20);
    expect(drift.signalledAt).toEqual(runs[index]!.startedAt);
    expect(drift.centre).toBeGreaterThan(97);
    expect(drift.centre).toBeLessThan(103);
  });

  it('a stable series does not signal', () => {
    const stableRandom = mulberry32(5);
    const stable = Array.from({ length: 300 }, (_, i) =>
      run({ target: 'steady', startedAt: new Date(SUNDAY + i * DAY_MS), sizeBytes: 1e9 * (1 + (stableRandom() * 2 - 1) * 0.02) }),
    );
    expect(detectRunDrift(stable, 'sizeBytes')).toMatchObject({ status: 'monitored', signalled: false, direction: null });
  });

  it('a size decline is signalled as dangerous; failed runs are ignored; mixed targets are rejected', () => {
    const shrinking = Array.from({ length: 60 }, (_, i) =>
      run({ target: 'shrinking', startedAt: new Date(SUNDAY + i * DAY_MS), sizeBytes: 1e9 * (i < 20 ? 1 : 0.9) }),
    );
    shrinking.push(run({ target: 'shrinking', startedAt: new Date(SUNDAY + 70 * DAY_MS), status: 'failed', sizeBytes: 1 }));
    expect(detectRunDrift(shrinking, 'sizeBytes')).toMatchObject({ signalled: true, direction: 'below', dangerous: true });
    expect(() => detectRunDrift([...shrinking, run({ target: 'other', startedAt: new Date(SUNDAY) })], 'sizeBytes')).toThrow(/one target/);
    expect(detectRunDrift(shrinking.slice(0, 5), 'sizeBytes')).toMatchObject({ status: 'insufficient_history', metric: 'sizeBytes' });
  });
});
