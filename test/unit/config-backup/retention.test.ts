import { describe, expect, it } from 'vitest';
import { isoWeek } from '../../../domain/config-backup/calendar.js';
import { applyRetention, describePolicy, EMPTY_POLICY_REASON, type RetentionPolicy, type RetentionSnapshot } from '../../../domain/config-backup/retention.js';

const snap = (id: string, iso: string, group = 'file:/etc/app.yaml'): RetentionSnapshot => ({ id, group, time: new Date(iso) });

/** id -> reasons for kept snapshots, in newest-first order; removed ids newest first. */
function outcome(snapshots: RetentionSnapshot[], policy: RetentionPolicy, timeZone?: string, keepOldestWhenShort?: boolean) {
  const result = applyRetention(snapshots, policy, { timeZone, keepOldestWhenShort });
  return {
    keep: result.keep.map(({ snapshot, reasons }) => [snapshot.id, reasons] as const),
    remove: result.remove.map((snapshot) => snapshot.id),
  };
}

describe('restic forget semantics (hand-worked)', () => {
  it('restic docs: one backup every Sunday for 12 weeks, --keep-daily 4 keeps the last four Sundays', () => {
    const sundays = [
      ['0a1f9759', '2019-09-01'],
      ['46cfe4d5', '2019-09-08'],
      ['f6b1f037', '2019-09-15'],
      ['eb430a5d', '2019-09-22'],
      ['8cf1cb9a', '2019-09-29'],
      ['5d33b116', '2019-10-06'],
      ['b9553125', '2019-10-13'],
      ['e1a7b58b', '2019-10-20'],
      ['8f8018c0', '2019-10-27'],
      ['59403279', '2019-11-03'],
      ['dfee9fb4', '2019-11-10'],
      ['e1ae2f40', '2019-11-17'],
    ].map(([id, day]) => snap(id!, `${day}T11:00:00Z`));
    expect(outcome(sundays, { daily: 4 })).toEqual({
      keep: [
        ['e1ae2f40', ['daily 2019-11-17']],
        ['dfee9fb4', ['daily 2019-11-10']],
        ['59403279', ['daily 2019-11-03']],
        ['8f8018c0', ['daily 2019-10-27']],
      ],
      remove: ['e1a7b58b', 'b9553125', '5d33b116', '8cf1cb9a', 'eb430a5d', 'f6b1f037', '46cfe4d5', '0a1f9759'],
    });
  });

  it('keep-daily 3: newest snapshot of each of the 3 most recent days that HAVE snapshots (gaps skipped)', () => {
    const snapshots = [
      snap('a', '2026-11-16T09:00:00Z'),
      snap('b', '2026-11-16T18:00:00Z'),
      snap('c', '2026-11-17T10:00:00Z'),
      // no snapshot on the 18th
      snap('d', '2026-11-19T08:00:00Z'),
      snap('e', '2026-11-19T20:00:00Z'),
      snap('f', '2026-11-20T07:00:00Z'),
    ];
    expect(outcome(snapshots, { daily: 3 })).toEqual({
      keep: [
        ['f', ['daily 2026-11-20']],
        ['e', ['daily 2026-11-19']],
        ['c', ['daily 2026-11-17']],
      ],
      remove: ['d', 'b', 'a'],
    });
  });

  it('several policies count independently; a snapshot lists every rule that keeps it', () => {
    // 2026-W45 = Nov 2..8, W46 = Nov 9..15, W47 = Nov 16..22 (ISO weeks, Monday first).
    const snapshots = [
      snap('p1', '2026-11-03T10:00:00Z'),
      snap('p2', '2026-11-08T23:00:00Z'),
      snap('p3', '2026-11-12T10:00:00Z'),
      snap('p4', '2026-11-16T09:00:00Z'),
      snap('p5', '2026-11-17T10:00:00Z'),
      snap('p6', '2026-11-20T07:00:00Z'),
      snap('p7', '2026-11-20T19:00:00Z'),
    ];
    // Newest first: p7 uses last#1, the 11-20 day and week 47; p6 only last#2 (same day and week as p7);
    // p5 takes the second day; p4 matches nothing new (daily used up, week 47 already kept);
    // p3 and p2 take weeks 46 and 45, which uses up weekly; p1 is left.
    expect(outcome(snapshots, { last: 2, daily: 2, weekly: 3 })).toEqual({
      keep: [
        ['p7', ['last #1', 'daily 2026-11-20', 'weekly 2026-W47']],
        ['p6', ['last #2']],
        ['p5', ['daily 2026-11-17']],
        ['p3', ['weekly 2026-W46']],
        ['p2', ['weekly 2026-W45']],
      ],
      remove: ['p4', 'p1'],
    });
  });

  it('monthly and yearly; ISO week-years cross the calendar year (2026-12-31 and 2027-01-01 are both 2026-W53)', () => {
    const snapshots = [
      snap('y1', '2025-06-01T12:00:00Z'),
      snap('y2', '2026-10-15T12:00:00Z'),
      snap('y3', '2026-11-30T12:00:00Z'),
      snap('y4', '2026-12-31T10:00:00Z'),
      snap('y5', '2027-01-01T10:00:00Z'),
    ];
    expect(outcome(snapshots, { weekly: 1, monthly: 3, yearly: 3 })).toEqual({
      keep: [
        ['y5', ['weekly 2026-W53', 'monthly 2027-01', 'yearly 2027']],
        ['y4', ['monthly 2026-12', 'yearly 2026']],
        ['y3', ['monthly 2026-11']],
        ['y1', ['yearly 2025']],
      ],
      remove: ['y2'],
    });
  });

  it('an empty policy removes nothing', () => {
    const snapshots = [snap('a', '2026-11-19T08:00:00Z'), snap('b', '2026-11-20T08:00:00Z'), snap('c', '2026-11-20T09:00:00Z', 'env:PROD_')];
    for (const policy of [{}, { last: 0, daily: 0 }]) {
      const result = applyRetention(snapshots, policy);
      expect(result.policyEmpty).toBe(true);
      expect(result.remove).toEqual([]);
      expect(result.keep.map(({ snapshot, reasons }) => [snapshot.id, reasons])).toEqual([
        ['c', [EMPTY_POLICY_REASON]],
        ['b', [EMPTY_POLICY_REASON]],
        ['a', [EMPTY_POLICY_REASON]],
      ]);
    }
  });

  it('judges every group on its own', () => {
    const snapshots = [
      snap('a1', '2026-11-19T08:00:00Z', 'file:/a'),
      snap('a2', '2026-11-20T08:00:00Z', 'file:/a'),
      snap('a3', '2026-11-20T09:00:00Z', 'file:/a'),
      // older than everything in /a, still its own group's newest day
      snap('b1', '2026-11-10T08:00:00Z', 'file:/b'),
      snap('b2', '2026-11-10T09:00:00Z', 'file:/b'),
    ];
    const result = applyRetention(snapshots, { daily: 1 });
    expect(result.groups.map((group) => [group.group, group.keep.map((kept) => kept.snapshot.id), group.remove.map((s) => s.id)])).toEqual([
      ['file:/a', ['a3'], ['a2', 'a1']],
      ['file:/b', ['b2'], ['b1']],
    ]);
  });

  it('buckets in the given time zone, not the host zone', () => {
    const snapshots = [snap('late', '2026-11-20T23:30:00Z'), snap('early', '2026-11-21T00:30:00Z')];
    expect(outcome(snapshots, { daily: 2 }, 'UTC').keep).toEqual([
      ['early', ['daily 2026-11-21']],
      ['late', ['daily 2026-11-20']],
    ]);
    // New York is UTC-5 in November: 18:30 and 19:30 on the 20th, one day.
    expect(outcome(snapshots, { daily: 2 }, 'America/New_York')).toEqual({
      keep: [['early', ['daily 2026-11-20']]],
      remove: ['late'],
    });
    expect(outcome(snapshots, { hourly: 5 }, 'Asia/Kolkata').keep).toEqual([
      ['early', ['hourly 2026-11-21T06']],
      ['late', ['hourly 2026-11-21T05']],
    ]);
  });

  it('keepOldestWhenShort adds restic >= 0.17 behaviour: the oldest snapshot stays while counts are left', () => {
    const snapshots = [snap('x1', '2026-11-19T08:00:00Z'), snap('x2', '2026-11-19T20:00:00Z'), snap('x3', '2026-11-20T07:00:00Z')];
    expect(outcome(snapshots, { daily: 5 }).remove).toEqual(['x1']);
    expect(outcome(snapshots, { daily: 5 }, 'UTC', true)).toEqual({
      keep: [
        ['x3', ['daily 2026-11-20']],
        ['x2', ['daily 2026-11-19']],
        ['x1', ['oldest daily 2026-11-19']],
      ],
      remove: [],
    });
    // With the count used up there is nothing left to extend the history with.
    expect(outcome(snapshots, { daily: 2 }, 'UTC', true).remove).toEqual(['x1']);
  });

  it('Infinity means unlimited', () => {
    const snapshots = [snap('a', '2026-11-01T08:00:00Z'), snap('b', '2026-11-01T09:00:00Z'), snap('c', '2026-11-02T08:00:00Z')];
    expect(outcome(snapshots, { daily: Infinity })).toEqual({
      keep: [
        ['c', ['daily 2026-11-02']],
        ['b', ['daily 2026-11-01']],
      ],
      remove: ['a'],
    });
    expect(describePolicy({ last: 3, daily: Infinity })).toBe('keep 3 last, all daily');
  });

  it('rejects invalid counts and time zones', () => {
    expect(() => applyRetention([], { daily: -1 })).toThrow(/keep-daily must be a whole number/);
    expect(() => applyRetention([], { last: 1.5 })).toThrow(/keep-last/);
    expect(() => applyRetention([], { last: 1 }, { timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('isoWeek', () => {
  it.each([
    [2026, 1, 1, 2026, 1],
    [2025, 12, 29, 2026, 1],
    [2026, 11, 20, 2026, 47],
    [2026, 12, 31, 2026, 53],
    [2027, 1, 3, 2026, 53],
    [2027, 1, 4, 2027, 1],
    [2021, 1, 3, 2020, 53],
    [2024, 12, 30, 2025, 1],
  ])('%i-%i-%i is %i-W%i', (year, month, day, weekYear, week) => {
    expect(isoWeek(year, month, day)).toEqual({ weekYear, week });
  });
});
