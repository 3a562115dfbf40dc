import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { scoreRun } from '../../../domain/metrics/scoring.js';
import { buildBaselines } from '../../../domain/metrics/baselines.js';
import {
  checkRun,
  countScore,
  emptyScanCounts,
  observationsFromCheck,
  rankRunFindings,
  withoutMetrics,
  type RunFinding,
} from '../../../domain/monitoring/index.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** n completed runs, hourly, oldest first, 0.05 s each and 1 GB. */
function history(n: number, overrides: Partial<BackupRunRecord> = {}): BackupRunRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    backupId: `h${i}`,
    target: 'cmd',
    startedAt: new Date(T0 + i * HOUR),
    status: 'completed' as const,
    durationSeconds: 0.05,
    sizeBytes: 1e9,
    ...overrides,
  }));
}

const current = (partial: Partial<BackupRunRecord> = {}): BackupRunRecord => ({
  backupId: 'now',
  target: 'cmd',
  startedAt: new Date(T0 + 100 * HOUR),
  status: 'completed',
  durationSeconds: 2,
  sizeBytes: 1e9,
  ...partial,
});

describe('checkRun (point in time, robust)', () => {
  it('says "not enough history" below 10 successful runs and shows the minimum', () => {
    const check = checkRun(history(9), current());
    expect(check).toMatchObject({
      status: 'insufficient_history',
      minHistoryRuns: 10,
      historyRuns: 9,
      isAnomaly: false,
      findings: [],
      baseline: null,
      message: 'not enough history: 9 successful runs in the last 90 days, need 10',
    });
  });

  it('never learns from the run itself, nor from runs that had not ended when it started', () => {
    const withItself = [...history(9), current()];
    expect(checkRun(withItself, current()).historyRuns).toBe(9);
    // Ends 10 s after the checked run started: not history yet.
    const overlapping = { ...current({ backupId: 'overlap', durationSeconds: 0.05 }), startedAt: new Date(T0 + 100 * HOUR - 5_000), durationSeconds: 15 };
    expect(checkRun([...history(9), overlapping], current()).status).toBe('insufficient_history');
  });

  it('a much longer run is critical: modified z = 0.6745 x (ln 3 - ln 1.05) / 0.05 (spread floor) = 21.0', () => {
    const check = checkRun(history(12), current());
    expect(check.status).toBe('scored');
    const duration = check.findings.find((f) => f.metric === 'durationSeconds')!;
    // MAD of a constant history is 0: the 0.05 log-unit floor is the spread; 0.6745 x 1.4826 = 1.0000.
    expect(duration.score).toBeCloseTo(21.0, 1);
    expect(duration).toMatchObject({ isAnomaly: true, severity: 'critical', direction: 'above', reasons: ['longer_than_usual'] });
    expect(check).toMatchObject({ severity: 'critical', isAnomaly: true, historyRuns: 12, minHistoryRuns: 10, baseline: { level: 'overall', runCount: 12 } });
  });

  it('a much shorter run is only info (the benign direction)', () => {
    const check = checkRun(history(12, { durationSeconds: 100 }), current({ durationSeconds: 1 }));
    const duration = check.findings.find((f) => f.metric === 'durationSeconds')!;
    expect(duration).toMatchObject({ isAnomaly: true, direction: 'below' });
    expect(duration.severity).not.toBe('critical');
  });

  it('leaves out a size the run did not report instead of calling it a partial backup', () => {
    const unsized = current({ durationSeconds: 0.05, sizeBytes: 0 });
    expect(checkRun(history(12), unsized)).toMatchObject({ severity: 'critical', possiblePartialBackup: true });
    const check = checkRun(history(12), unsized, { unknownMetrics: ['sizeBytes'] });
    expect(check.findings.map((f) => f.metric)).toEqual(['durationSeconds']);
    expect(check).toMatchObject({ isAnomaly: false, severity: 'info', possiblePartialBackup: false, reasons: [], unscoredMetrics: ['sizeBytes'] });
  });
});

describe('withoutMetrics', () => {
  it('recomputes the run verdict from the remaining findings; unscored runs pass through', () => {
    const baselines = buildBaselines(history(12));
    const score = scoreRun(baselines, current({ sizeBytes: 1 }));
    expect(score).toMatchObject({ status: 'scored', severity: 'critical', possiblePartialBackup: true });
    const durationOnly = withoutMetrics(score, ['sizeBytes']);
    expect(durationOnly).toMatchObject({ severity: 'critical', possiblePartialBackup: false, reasons: ['longer_than_usual'] });
    const sizeOnly = withoutMetrics(scoreRun(baselines, current({ durationSeconds: 0.05, sizeBytes: 1 })), ['durationSeconds']);
    expect(sizeOnly).toMatchObject({ severity: 'critical', possiblePartialBackup: true, reasons: ['smaller_than_usual', 'possible_partial_backup'] });
    const failed = scoreRun(baselines, current({ status: 'failed' }));
    expect(withoutMetrics(failed, ['sizeBytes'])).toBe(failed);
  });
});

describe('scan counting', () => {
  it('counts every outcome and returns only anomalous runs as findings', () => {
    const baselines = buildBaselines(history(12));
    const counts = emptyScanCounts();
    const found = [
      scoreRun(baselines, current()),
      scoreRun(baselines, current({ backupId: 'ok', durationSeconds: 0.05 })),
      scoreRun(baselines, current({ backupId: 'small', durationSeconds: 0.05, sizeBytes: 1e6 })),
      scoreRun(baselines, current({ backupId: 'f', status: 'failed' })),
      scoreRun(baselines, current({ backupId: 'x', target: 'unknown' })),
      scoreRun(baselines, current({ backupId: 'nan', durationSeconds: Number.NaN })),
    ].map((s) => countScore(counts, s));
    expect(counts).toEqual({
      targets: 0,
      considered: 6,
      scored: 3,
      anomalous: 2,
      critical: 2,
      possiblePartialBackups: 1,
      insufficientHistory: 1,
      failedRuns: 1,
      invalid: 1,
      newlyChecked: 0,
    });
    expect(found.filter(Boolean).map((f) => f!.backupId)).toEqual(['now', 'small']);
  });

  it('ranks findings critical first, then newest', () => {
    const f = (backupId: string, severity: RunFinding['severity'], startedAt: string): RunFinding => ({
      backupId,
      target: 't',
      startedAt,
      severity,
      possiblePartialBackup: false,
      reasons: [],
      findings: [],
    });
    const ranked = rankRunFindings([
      f('a', 'warning', '2026-01-02'),
      f('b', 'critical', '2026-01-01'),
      f('c', 'critical', '2026-01-03'),
      f('d', 'info', '2026-01-04'),
    ]);
    expect(ranked.map((x) => x.backupId)).toEqual(['c', 'b', 'a', 'd']);
  });
});

describe('observationsFromCheck', () => {
  it('one observation per reported metric of a scored check; none when unscored', () => {
    const at = new Date(T0 + 100 * HOUR);
    const obs = observationsFromCheck(checkRun(history(12), current(), { unknownMetrics: ['sizeBytes'] }), at);
    expect(obs).toEqual([{ target: 'cmd', metric: 'durationSeconds', direction: 'above', severity: 'critical', isAnomaly: true, at, backupId: 'now' }]);
    expect(observationsFromCheck(checkRun(history(3), current()), at)).toEqual([]);
  });
});
