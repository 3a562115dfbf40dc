import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { buildBaselines, targetBaseline } from '../../../domain/metrics/baselines.js';
import { scanRuns, scoreRun, type ScoredRun } from '../../../domain/metrics/scoring.js';
import { DAY_MS, HOUR_MS, SUNDAY, allNumbersFinite, jitter, mulberry32, run } from './helpers.js';

interface DailyOptions {
  start?: number;
  hour?: number;
  duration?: (day: number) => number;
  size?: (day: number) => number;
  durationJitter?: number;
  target?: string;
  seed?: number;
}

function dailyRuns(days: number, opts: DailyOptions = {}) {
  const random = mulberry32(opts.seed ?? 7);
  const start = opts.start ?? SUNDAY;
  const runs: BackupRunRecord[] = [];
  for (let d = 0; d < days; d++) {
    runs.push(
      run({
        target: opts.target ?? 'db-main',
        startedAt: new Date(start + d * DAY_MS + (opts.hour ?? 2) * HOUR_MS),
        durationSeconds: (opts.duration?.(d) ?? 100) * jitter(random, opts.durationJitter ?? 0.03),
        sizeBytes: (opts.size?.(d) ?? 10e9) * jitter(random, 0.02),
      }),
    );
  }
  return runs;
}

const asScored = (r: ReturnType<typeof scoreRun>): ScoredRun => {
  expect(r.status).toBe('scored');
  return r as ScoredRun;
};
const finding = (r: ScoredRun, metric: 'durationSeconds' | 'sizeBytes') => r.findings.find((f) => f.metric === metric)!;

describe('minimum history', () => {
  it('below 10 successful runs the answer is "not enough history"; failed runs do not count', () => {
    const runs = dailyRuns(9);
    runs.push(run({ startedAt: new Date(SUNDAY + 9 * DAY_MS), status: 'failed', durationSeconds: 5, sizeBytes: 0 }));
    const baselines = buildBaselines(runs);
    const result = scoreRun(baselines, run({ startedAt: new Date(SUNDAY + 10 * DAY_MS), durationSeconds: 900 }));
    expect(result).toMatchObject({ status: 'insufficient_history', historyRuns: 9, requiredRuns: 10 });
    expect(result.status === 'insufficient_history' && result.message).toMatch(/not enough history/);
    expect(scoreRun(baselines, run({ target: 'never-seen', startedAt: new Date(SUNDAY) }))).toMatchObject({
      status: 'insufficient_history',
      historyRuns: 0,
    });
  });

  it('with 10 successful runs the run is scored', () => {
    const baselines = buildBaselines(dailyRuns(10));
    expect(scoreRun(baselines, run({ startedAt: new Date(SUNDAY + 11 * DAY_MS) })).status).toBe('scored');
  });

  it('runs outside the 90-day window are not learned from', () => {
    const old = dailyRuns(30, { start: SUNDAY - 200 * DAY_MS });
    const recent = dailyRuns(5, { start: SUNDAY });
    const baselines = buildBaselines([...old, ...recent]);
    expect(targetBaseline(baselines, 'db-main')).toMatchObject({ successfulRuns: 5, overall: null });
  });

  it('failed runs and invalid values are reported, not scored', () => {
    const baselines = buildBaselines(dailyRuns(20));
    const at = new Date(SUNDAY + 30 * DAY_MS);
    expect(scoreRun(baselines, run({ startedAt: at, status: 'failed', sizeBytes: 0 })).status).toBe('failed_run');
    expect(scoreRun(baselines, run({ startedAt: at, durationSeconds: Number.NaN })).status).toBe('invalid_value');
    expect(scoreRun(baselines, run({ startedAt: at, sizeBytes: -1 })).status).toBe('invalid_value');
  });
});

describe('robust scoring and direction', () => {
  const baselines = buildBaselines(dailyRuns(30));
  const at = new Date(SUNDAY + 40 * DAY_MS + 2 * HOUR_MS);

  it('a typical run is normal and reports the expected range in natural units', () => {
    const r = asScored(scoreRun(baselines, run({ startedAt: at, durationSeconds: 101, sizeBytes: 10.1e9 })));
    expect(r.isAnomaly).toBe(false);
    const d = finding(r, 'durationSeconds');
    expect(d).toMatchObject({ severity: 'info', direction: 'normal', isAnomaly: false });
    expect(d.expected.median).toBeGreaterThan(95);
    expect(d.expected.median).toBeLessThan(105);
    expect(d.expected.lower).toBeLessThan(d.expected.median);
    expect(d.expected.upper).toBeGreaterThan(d.expected.median);
  });

  it('longer duration is critical; shorter by the same factor is only a warning', () => {
    const slow = asScored(scoreRun(baselines, run({ startedAt: at, durationSeconds: 300 })));
    expect(finding(slow, 'durationSeconds')).toMatchObject({ severity: 'critical', direction: 'above', reasons: ['longer_than_usual'] });
    const fast = asScored(scoreRun(baselines, run({ startedAt: at, durationSeconds: 100 / 3 })));
    expect(finding(fast, 'durationSeconds')).toMatchObject({ severity: 'warning', direction: 'below', isAnomaly: true, reasons: ['shorter_than_usual'] });
  });

  it('a moderately faster run is an anomaly reported at info level', () => {
    // log(100/83) ~ 0.19 against a floor spread of 0.05: |z| ~ 3.7, between 3.5 and 5
    const r = asScored(scoreRun(baselines, run({ startedAt: at, durationSeconds: 83 })));
    expect(finding(r, 'durationSeconds')).toMatchObject({ isAnomaly: true, severity: 'info', direction: 'below' });
    expect(r.severity).toBe('info');
  });

  it('a size drop on a successful run is flagged as a possible partial backup; a size rise is not critical', () => {
    const drop = asScored(scoreRun(baselines, run({ startedAt: at, sizeBytes: 4e9 })));
    expect(drop.possiblePartialBackup).toBe(true);
    expect(finding(drop, 'sizeBytes')).toMatchObject({
      severity: 'critical',
      direction: 'below',
      reasons: ['smaller_than_usual', 'possible_partial_backup'],
    });
    expect(drop.severity).toBe('critical');
    const rise = asScored(scoreRun(baselines, run({ startedAt: at, sizeBytes: 25e9 })));
    expect(rise.possiblePartialBackup).toBe(false);
    expect(finding(rise, 'sizeBytes')).toMatchObject({ severity: 'warning', direction: 'above', reasons: ['larger_than_usual'] });
  });

  it('an empty "successful" backup (0 bytes) is critical and partial, with finite numbers', () => {
    const r = asScored(scoreRun(baselines, run({ startedAt: at, sizeBytes: 0 })));
    expect(r).toMatchObject({ possiblePartialBackup: true, severity: 'critical' });
    expect(allNumbersFinite(r)).toEqual([]);
  });

  it('robust centre: a few huge outliers in history do not mask a new anomaly', () => {
    const runs = dailyRuns(30);
    for (const i of [3, 11, 19]) runs[i] = { ...runs[i]!, durationSeconds: 5000 };
    const b = buildBaselines(runs);
    const r = asScored(scoreRun(b, run({ startedAt: at, durationSeconds: 250 })));
    expect(finding(r, 'durationSeconds').severity).toBe('critical');
  });
});

describe('constant history (MAD = 0)', () => {
  const runs = Array.from({ length: 20 }, (_, d) => run({ startedAt: new Date(SUNDAY + d * DAY_MS), durationSeconds: 100, sizeBytes: 1e9 }));
  const baselines = buildBaselines(runs);

  it('falls back to the spread floor and never yields NaN or Infinity', () => {
    const overall = targetBaseline(baselines, 'db-main')!.overall!;
    expect(overall.durationSeconds).toMatchObject({ rawMad: 0, sigma: 0.05, spreadSource: 'floor' });
    expect(allNumbersFinite(baselines)).toEqual([]);
    const same = asScored(scoreRun(baselines, run({ startedAt: new Date(SUNDAY + 25 * DAY_MS), durationSeconds: 100, sizeBytes: 1e9 })));
    expect(same.isAnomaly).toBe(false);
    expect(finding(same, 'durationSeconds').score).toBe(0);
    const slower = asScored(scoreRun(baselines, run({ startedAt: new Date(SUNDAY + 25 * DAY_MS), durationSeconds: 200 })));
    expect(finding(slower, 'durationSeconds').severity).toBe('critical');
    expect(allNumbersFinite(slower)).toEqual([]);
    expect(JSON.stringify(slower)).not.toMatch(/null|NaN|Infinity/);
  });

  it('mostly constant history uses the mean absolute deviation (hand-computed)', () => {
    // 15 runs at 100 s and 5 at 120 s: median log1p = log(101), MAD = 0,
    // mean |dev| = 5 * log(121/101) / 20 = 0.0451683; sigma = 1.2533 * that = 0.0566094 (> floor 0.05)
    const mixed = Array.from({ length: 20 }, (_, d) => run({ startedAt: new Date(SUNDAY + d * DAY_MS), durationSeconds: d % 4 === 0 ? 120 : 100 }));
    const overall = targetBaseline(buildBaselines(mixed, { seasonal: false }), 'db-main')!.overall!;
    expect(overall.durationSeconds.spreadSource).toBe('meanAbsoluteDeviation');
    expect(overall.durationSeconds.sigma).toBeCloseTo((1.2533 * 5 * Math.log(121 / 101)) / 20, 9);
  });
});

describe('seasonal buckets', () => {
  // Daily at 02:00 UTC for 12 weeks; Sunday's run is a weekly full backup, four times longer.
  const weekly = dailyRuns(84, { duration: (d) => (d % 7 === 0 ? 400 : 100) });
  const seasonal = buildBaselines(weekly);
  const global = buildBaselines(weekly, { seasonal: false });
  const nextSunday = new Date(SUNDAY + 84 * DAY_MS + 2 * HOUR_MS);
  const nextTuesday = new Date(SUNDAY + 86 * DAY_MS + 2 * HOUR_MS);
  const unusualHour = new Date(SUNDAY + 87 * DAY_MS + 15 * HOUR_MS);

  it('the slow Sunday 02:00 full backup is normal in its own bucket but a false alarm for a global baseline', () => {
    const bucketed = asScored(scoreRun(seasonal, run({ startedAt: nextSunday, durationSeconds: 410 })));
    expect(bucketed.baseline).toMatchObject({ level: 'dayHour', bucketIndex: 2, runCount: 12 });
    expect(bucketed.isAnomaly).toBe(false);
    const flat = asScored(scoreRun(global, run({ startedAt: nextSunday, durationSeconds: 410 })));
    expect(flat.baseline.level).toBe('overall');
    expect(finding(flat, 'durationSeconds').severity).toBe('critical');
  });

  it('the same slow duration on a Tuesday at 02:00 is critical', () => {
    const r = asScored(scoreRun(seasonal, run({ startedAt: nextTuesday, durationSeconds: 400 })));
    expect(r.baseline).toMatchObject({ level: 'dayHour', bucketIndex: 2 * 24 + 2 });
    expect(finding(r, 'durationSeconds').severity).toBe('critical');
  });

  it('a run at an hour with no bucket falls back to the overall baseline and is still caught', () => {
    const r = asScored(scoreRun(seasonal, run({ startedAt: unusualHour, durationSeconds: 400 })));
    expect(r.baseline.level).toBe('overall');
    expect(finding(r, 'durationSeconds').severity).toBe('critical');
  });

  it('an hour bucket catches an anomaly that the global baseline misses', () => {
    // Twice a day for 30 days: 02:00 full (~400 s), 14:00 incremental (~100 s). Globally the spread is huge.
    const random = mulberry32(3);
    const runs: BackupRunRecord[] = [];
    for (let d = 0; d < 30; d++) {
      for (const [hour, duration] of [
        [2, 400],
        [14, 100],
      ] as const) {
        runs.push(run({ startedAt: new Date(SUNDAY + d * DAY_MS + hour * HOUR_MS), durationSeconds: duration * jitter(random, 0.03) }));
      }
    }
    const at = new Date(SUNDAY + 31 * DAY_MS + 14 * HOUR_MS);
    const slowIncremental = run({ startedAt: at, durationSeconds: 250 });
    const flat = asScored(scoreRun(buildBaselines(runs, { seasonal: false }), slowIncremental));
    expect(finding(flat, 'durationSeconds').isAnomaly).toBe(false);
    const bucketed = asScored(scoreRun(buildBaselines(runs), slowIncremental));
    expect(bucketed.baseline).toMatchObject({ level: 'hour', bucketIndex: 14, runCount: 30 });
    expect(finding(bucketed, 'durationSeconds').severity).toBe('critical');
  });

  it('buckets below the minimum run count are not learned', () => {
    const fewWeeks = buildBaselines(dailyRuns(42, { duration: (d) => (d % 7 === 0 ? 400 : 100) }));
    const target = targetBaseline(fewWeeks, 'db-main')!;
    expect(target.byDayHour.every((b) => b === null)).toBe(true); // 6 per weekday < 8
    expect(target.byHour[2]?.runCount).toBe(42);
  });

  it('a utc offset moves runs into local-time buckets', () => {
    const b = buildBaselines(weekly, { utcOffsetMinutes: 120 });
    const r = asScored(scoreRun(b, run({ startedAt: nextSunday, durationSeconds: 410 })));
    expect(r.baseline).toMatchObject({ level: 'dayHour', bucketIndex: 4 });
  });
});

describe('scanRuns', () => {
  it('learns only from runs that ended before `since` and scores the runs from `since` on', () => {
    const history = dailyRuns(30);
    const since = new Date(SUNDAY + 30 * DAY_MS);
    // After `since` every run is three times slower; if they leaked into the baseline the later ones would look normal.
    const after = dailyRuns(15, { start: since.getTime(), duration: () => 300, seed: 9 });
    const result = scanRuns([...history, ...after], { since });
    expect(result.baselines.settings.until).toBe(since.toISOString());
    expect(targetBaseline(result.baselines, 'db-main')!.successfulRuns).toBe(30);
    expect(result).toMatchObject({ considered: 15, scored: 15, anomalous: 15, insufficientHistory: 0 });
    expect(result.anomalies.every((a) => a.severity === 'critical')).toBe(true);
    expect(result.anomalies.map((a) => a.backupId)).toEqual(after.map((r) => r.backupId));
  });

  it('agrees with scoreRun and counts every outcome', () => {
    // Noisy durations so the duration and size spreads differ (neither sits on the floor alone).
    const runs = [
      ...dailyRuns(40, { durationJitter: 0.4 }),
      ...dailyRuns(5, { target: 'new-target' }),
      run({ startedAt: new Date(SUNDAY + 41 * DAY_MS), status: 'failed' }),
      run({ startedAt: new Date(SUNDAY + 41 * DAY_MS), sizeBytes: Number.NaN }),
      run({ startedAt: new Date(SUNDAY + 41 * DAY_MS + 2 * HOUR_MS), sizeBytes: 2e9 }),
    ];
    const result = scanRuns(runs, { includeAll: true });
    expect(result).toMatchObject({ considered: 48, failedRuns: 1, invalid: 1, insufficientHistory: 5, scored: 41 });
    expect(result.anomalous).toBe(result.anomalies.length);
    expect(result.possiblePartialBackups).toBeGreaterThanOrEqual(1);
    expect(result.results).toHaveLength(48);
    const overall = targetBaseline(result.baselines, 'db-main')!.overall!;
    expect(overall.durationSeconds.sigma).toBeGreaterThan(2 * overall.sizeBytes.sigma);
    result.results!.forEach((score, i) => expect(score).toEqual(scoreRun(result.baselines, runs[i]!)));
  });

  it('baselines survive a JSON round trip and still score identically', () => {
    const runs = dailyRuns(84, { duration: (d) => (d % 7 === 0 ? 400 : 100) });
    const baselines = buildBaselines(runs);
    const copy = JSON.parse(JSON.stringify(baselines));
    const probe = run({ startedAt: new Date(SUNDAY + 86 * DAY_MS + 2 * HOUR_MS), durationSeconds: 400 });
    expect(scoreRun(copy, probe)).toEqual(scoreRun(baselines, probe));
    expect(scanRuns([probe], { baselines: copy }).anomalous).toBe(1);
  });

  it('rejects an invalid since', () => {
    expect(() => scanRuns([], { since: new Date(Number.NaN) })).toThrow(/since/);
  });
});
