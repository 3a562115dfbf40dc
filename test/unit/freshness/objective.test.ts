import { ScheduleOverlapPolicy } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { describeSchedules, type ScheduleLookup } from '../../../capabilities/freshness/schedules.js';
import { validateFreshnessCheckInput } from '../../../domain/freshness/contract.js';
import { declaredSchedules } from '../../../schedules/index.js';
import * as workflows from '../../../workflows/index.js';
import { formatDuration, freshnessObjective, settingsWarnings } from '../../../domain/freshness/objective.js';
import { scheduleIntervalMs } from '../../../domain/settings/schedule-interval.js';
import { parseSettings } from '../../../domain/settings/schema.js';

const H = 3_600_000;
const D = 24 * H;

describe('schedule interval (longest gap between two firings)', () => {
  it.each([
    ['0 2 * * *', D],
    ['*/15 * * * *', 15 * 60_000],
    ['0,30 9-17 * * *', 15.5 * H], // 17:30 -> 09:00 next day
    ['0 2 * * 1-5', 3 * D], // Friday -> Monday
    ['0 2 * * mon,wed,fri', 3 * D],
    ['0 0 1 * *', 31 * D],
    ['@hourly', H],
    ['@daily', D],
    ['@weekly', 7 * D],
    ['@every 90m', 90 * 60_000],
    ['@every 1h30m/5m', 90 * 60_000],
    ['CRON_TZ=Europe/Berlin 0 3 * * * # nightly', D],
    ['30 0 3 * * * *', D], // 7 fields: second first
  ])('%s', (cron, expected) => {
    expect(scheduleIntervalMs(cron)).toBe(expected);
  });

  it('counts leap days within the years Temporal accepts (2000-2100; 2100 is not a leap year)', () => {
    expect(scheduleIntervalMs('0 0 29 2 *')).toBe(Date.UTC(2004, 1, 29) - Date.UTC(2000, 1, 29));
  });

  it('ANDs day-of-month and day-of-week, as Temporal does (not cron OR)', () => {
    // Friday the 13th: gaps of up to 14 months.
    const gap = scheduleIntervalMs('0 0 13 * 5')!;
    expect(gap).toBeGreaterThan(12 * 30 * D);
    expect(gap).toBeLessThanOrEqual(14 * 31 * D);
  });

  it('reads calendar specs with Temporal defaults (second, minute, hour 0; day fields *)', () => {
    expect(scheduleIntervalMs({ hour: 3, minute: 30, dayOfWeek: ['MONDAY', 'WEDNESDAY', 'FRIDAY'] })).toBe(3 * D);
    expect(scheduleIntervalMs({ minute: 5, hour: '*' })).toBe(H);
    expect(scheduleIntervalMs({ hour: { start: 0, end: 23, step: 6 } })).toBe(6 * H);
    expect(scheduleIntervalMs({ dayOfWeek: 'SUNDAY' })).toBe(7 * D);
    expect(scheduleIntervalMs({ hour: 1, month: ['JANUARY', 'JULY'], dayOfMonth: 1 })).toBe(Date.UTC(2001, 0, 1) - Date.UTC(2000, 6, 1));
  });

  it('is undefined for a schedule that fires once', () => {
    expect(scheduleIntervalMs('0 0 1 1 * 2030')).toBeUndefined();
    expect(scheduleIntervalMs({ year: 2030, month: 'MARCH', dayOfMonth: 3 })).toBeUndefined();
  });

  it('does not depend on the current time', () => {
    const a = scheduleIntervalMs('0 2 * * 1-5');
    const b = scheduleIntervalMs('0 2 * * 1-5');
    expect(a).toBe(b);
  });
});

describe('maxAge in sentinel.yaml', () => {
  const target = (extra: Record<string, unknown>) => parseSettings({ targets: [{ name: 't', kind: 'command', command: 'true', ...extra }] }).targets[0]!;

  it('parses durations and refuses nonsense with one clear line', () => {
    expect(target({ maxAge: '26h' }).maxAge).toBe(26 * H);
    expect(target({ maxAge: '2d' }).maxAge).toBe(2 * D);
    expect(() => target({ maxAge: 'soon' })).toThrow('targets[0].maxAge: must be a duration like "90s", "15m", "12h" or seconds');
    expect(() => target({ maxAge: '10s' })).toThrow('targets[0].maxAge: must be at least 1 minute');
  });

  it('defaults to twice the schedule interval, none without a schedule', () => {
    expect(freshnessObjective(target({ schedule: '0 2 * * *' }))).toMatchObject({ maxAgeMs: 2 * D, source: 'schedule', scheduleIntervalMs: D, warning: null });
    expect(freshnessObjective(target({ schedule: '0 2 * * 1-5' }))).toMatchObject({ maxAgeMs: 6 * D, source: 'schedule' });
    expect(freshnessObjective(target({}))).toMatchObject({ maxAgeMs: null, source: 'none', scheduleIntervalMs: null });
    expect(freshnessObjective(target({ maxAge: '26h' }))).toMatchObject({ maxAgeMs: 26 * H, source: 'config', scheduleIntervalMs: null, warning: null });
  });

  it('warns (does not refuse) when maxAge is shorter than the schedule interval', () => {
    const settings = parseSettings({
      targets: [
        { name: 'tight', kind: 'command', command: 'true', schedule: '0 2 * * *', maxAge: '12h' },
        { name: 'fine', kind: 'command', command: 'true', schedule: '0 2 * * *', maxAge: '26h' },
      ],
    });
    expect(settingsWarnings(settings)).toEqual([
      'target "tight": maxAge 12h is shorter than its schedule interval 1d: it will be reported stale between two on-time runs',
    ]);
  });

  it('formats durations compactly', () => {
    expect(formatDuration(26 * H)).toBe('1d2h');
    expect(formatDuration(90 * 60_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5 * 60_000)).toBe('-5m');
    expect(formatDuration(3 * H + 6_000)).toBe('3h'); // only the next unit after the largest
    expect(formatDuration(2 * D + 30 * 60_000)).toBe('2d');
  });
});

describe('schedule states for the freshness check', () => {
  it('one schedule that cannot be described is unknown with its reason; the others are unaffected', async () => {
    const lookup: ScheduleLookup = async (id) => {
      if (id.endsWith('/broken')) throw new Error('deadline exceeded');
      if (id.endsWith('/gone')) return null;
      return { paused: id.endsWith('/held'), nextActionTimes: [new Date('2030-01-01T02:00:00Z')] };
    };
    const states = await describeSchedules(lookup, ['ok', 'broken', 'gone', 'held']);
    expect(states.get('ok')).toEqual({ id: 'sentinel/pre-backup/ok', state: 'active', nextRunAt: '2030-01-01T02:00:00.000Z' });
    expect(states.get('broken')).toEqual({ id: 'sentinel/pre-backup/broken', state: 'unknown', nextRunAt: null, error: 'deadline exceeded' });
    expect(states.get('gone')).toEqual({ id: 'sentinel/pre-backup/gone', state: 'missing', nextRunAt: null });
    expect(states.get('held')).toEqual({ id: 'sentinel/pre-backup/held', state: 'paused', nextRunAt: null });
    expect((await describeSchedules(null, ['ok'])).get('ok')).toMatchObject({ state: 'unknown', error: 'no Temporal client' });
  });

  it('the freshness check is declared every 5 minutes, skipping overlaps, for a workflow the worker registers', () => {
    const declared = declaredSchedules({ config: parseSettings({ targets: [] }), timezone: 'UTC' }).find((d) => d.id === 'sentinel/freshness-check')!;
    expect(declared).toMatchObject({ workflowType: 'freshnessCheckWorkflow', intervals: [{ every: '5m' }], overlap: ScheduleOverlapPolicy.SKIP, args: [{}] });
    expect(typeof workflows.freshnessCheckWorkflow).toBe('function');
    expect(validateFreshnessCheckInput(declared.args[0])).toEqual([]);
  });
});
