import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { historyColumnsOf, runsOfColumns, countFailures } from '../../../domain/models/history-columns.js';
import { insufficientHistory, trainCandidate } from '../../../domain/models/train-candidate.js';

const run = (k: number, status: BackupRunRecord['status']): BackupRunRecord => ({
  backupId: `r${k}`,
  target: 't',
  startedAt: new Date(Date.UTC(2026, 0, 1, k)),
  status,
  durationSeconds: 60,
  sizeBytes: 1000,
});

describe('when there is too little to learn from', () => {
  it('says why, for empty, single-class and thin histories', () => {
    expect(insufficientHistory([], 25)).toMatch(/^no backup history/);
    expect(insufficientHistory([run(0, 'completed'), run(1, 'completed')], 25)).toBe(
      'the history has 2 runs and no failure: a model cannot learn what a failure looks like',
    );
    expect(insufficientHistory([run(0, 'failed'), run(1, 'failed')], 2)).toBe('every one of the 2 runs failed: a model needs successful runs too');
    const few = Array.from({ length: 100 }, (_, k) => run(k, k % 10 === 0 ? 'failed' : 'completed'));
    expect(insufficientHistory(few, 25)).toBe('not enough failures to learn from: 10 in 100 runs, at least 25 required');
    // All failures in the oldest 80%: nothing to validate on.
    const early = Array.from({ length: 200 }, (_, k) => run(k, k < 60 && k % 2 === 0 ? 'failed' : 'completed'));
    expect(insufficientHistory(early, 25)).toBe(
      'not enough failures on both sides of the time split: 30 in the oldest 80% (need 20), 0 in the newest 20% (need 5)',
    );
    expect(
      insufficientHistory(
        Array.from({ length: 200 }, (_, k) => run(k, k % 5 === 0 ? 'failed' : 'completed')),
        25,
      ),
    ).toBeNull();
  });

  it('trains nothing and returns the reason', async () => {
    const out = await trainCandidate({
      runs: [run(0, 'completed')],
      algorithm: 'sentinel-forest',
      minFailures: 25,
      active: null,
      createdAt: new Date(0),
      createdBy: 't',
    });
    expect(out).toEqual({ outcome: 'insufficient-data', reason: expect.stringContaining('no failure'), rows: 1, failures: 0 });
  });
});

describe('history as transferable columns', () => {
  it('round-trips runs (unknown values as NaN inside, null outside)', () => {
    const runs = generateHistory({ targets: 2, days: 2, seed: 3 });
    const columns = historyColumnsOf(runs);
    expect(columns.size).toBe(runs.length);
    expect(columns.targets).toEqual(['db-001', 'db-002']);
    expect(countFailures(columns)).toBe(runs.filter((r) => r.status === 'failed').length);
    const back = runsOfColumns(columns);
    expect(back.map(({ backupId: _b, errorMessage: _e, ...rest }) => rest)).toEqual(
      runs.map(({ backupId: _b, errorMessage: _e, ...rest }) => ({
        ...rest,
        databaseSizeGb: rest.databaseSizeGb ?? null,
        freeSpaceGb: rest.freeSpaceGb ?? null,
        estimatedDuration: rest.estimatedDuration ?? null,
        estimatedSize: rest.estimatedSize ?? null,
      })),
    );
  });
});
