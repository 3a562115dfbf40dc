import { describe, expect, it } from 'vitest';
import { historicalContext } from '../../../domain/history/context.js';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { pointInTimeContexts, scoreRunsWithRules } from '../../../domain/models/rules-scores.js';
import { predictWithRules } from '../../../domain/risk/rules.js';

const runs = generateHistory({ targets: 3, days: 12, seed: 11 });

/** The definition: what live prediction computes at each run's start, from scratch (quadratic). */
function bruteForce(all: readonly BackupRunRecord[]): number[] {
  return all.map((run) => {
    const t = run.startedAt.getTime();
    const past = all.filter((r) => r.target === run.target && r.startedAt.getTime() < t);
    const context = historicalContext(past, run.startedAt);
    const request = {
      target: run.target,
      threshold: 0.5,
      startAt: run.startedAt.toISOString(),
      estimatedDurationSeconds: run.estimatedDuration ?? undefined,
      estimatedSizeBytes: run.estimatedSize ?? undefined,
      databaseSizeGb: run.databaseSizeGb ?? undefined,
      freeSpaceGb: run.freeSpaceGb ?? undefined,
    };
    return predictWithRules(request, context, '').failureProbability;
  });
}

describe('rules as a point-in-time scorer', () => {
  it('gives exactly what the rules give live, run by run, incrementally', () => {
    expect(Array.from(scoreRunsWithRules(runs))).toEqual(bruteForce(runs));
  });

  it('scores only the asked rows, from the whole history before them', () => {
    const only = Uint32Array.from([5, 300, 700, 863]);
    const all = scoreRunsWithRules(runs);
    expect(Array.from(scoreRunsWithRules(runs, { only }))).toEqual(Array.from(only, (i) => all[i]));
  });

  it("never reads a run's own outcome, nor runs still going at its start", () => {
    const i = 500;
    const run = runs[i]!;
    const flipped = runs.map((r, k) =>
      k === i ? ({ ...r, status: r.status === 'failed' ? 'completed' : 'failed', durationSeconds: 1, sizeBytes: 1 } as BackupRunRecord) : r,
    );
    expect(pointInTimeContexts(flipped)[i]).toEqual(pointInTimeContexts(runs)[i]);
    expect(scoreRunsWithRules(flipped)[i]).toBe(scoreRunsWithRules(runs)[i]);
    // A run of the same target that started earlier but ends after this one starts is not history yet.
    const previous = runs.filter((r) => r.target === run.target && r.startedAt < run.startedAt).at(-1)!;
    const k = runs.indexOf(previous);
    const overlapping = runs.map((r, j) => (j === k ? { ...r, durationSeconds: (run.startedAt.getTime() - r.startedAt.getTime()) / 1000 + 60 } : r));
    const contextNow = pointInTimeContexts(overlapping)[i]!;
    expect(contextNow).toEqual(
      historicalContext(
        runs.filter((r) => r.target === run.target && r.startedAt < previous.startedAt),
        run.startedAt,
      ),
    );
  });

  it('matches context.ts on the empty history and on ties', () => {
    const single: BackupRunRecord = {
      backupId: 'x',
      target: 't',
      startedAt: new Date('2026-01-01T00:00:00Z'),
      status: 'failed',
      durationSeconds: 0,
      sizeBytes: 0,
    };
    expect(pointInTimeContexts([single])[0]).toEqual(historicalContext([], single.startedAt));
    const twins = [single, { ...single, backupId: 'y', status: 'completed' as const }];
    expect(pointInTimeContexts(twins).map((c) => c!.runCount)).toEqual([0, 0]);
  });
});

describe('rules scorer input checks', () => {
  it('refuses rows that do not exist', () => {
    expect(() => scoreRunsWithRules(runs, { only: [runs.length] })).toThrow(/row 864 is not one of the 864 runs/);
  });
});
