import { describe, expect, it } from 'vitest';
import { cronProblem } from '../../../domain/settings/cron.js';
import { SettingsError, parseSettings } from '../../../domain/settings/schema.js';

// Each verdict was checked against the Temporal dev server (CLI 1.5.1, server 1.29.1) by creating a schedule with
// the expression in `cronExpressions`, as schedules/apply.ts does: accepted there <=> accepted here.
const ACCEPTED = [
  '0 3 * * *',
  '*/15 * * * *',
  '0 0 * * 7',
  '0 0 * * mon-fri',
  '0 0 * jan,feb sun',
  '0 0 * * MONDAY',
  '@daily',
  '@hourly',
  '@every 1h',
  '@every 90m/5m',
  'CRON_TZ=Europe/Paris 0 3 * * *',
  '0 3 * * * # nightly',
  '0 0 1 1 * 2030',
  '0 0 0 1 1 * 2030',
  '0 0 * * 1/2',
];
const REFUSED: Array<[string, RegExp]> = [
  ['0 25 * * *', /hour 25 is out of range 0-23/],
  ['60 * * * *', /minute 60 is out of range 0-59/],
  ['0 0 32 * *', /day of month 32 is out of range 1-31/],
  ['0 0 * 13 *', /month 13 is out of range 1-12/],
  ['0 0 * * 8', /day of week 8 is out of range 0-7/],
  ['0 3 * *', /has 4 fields; expected 5/],
  ['0 0 0 0 0 0 0 0', /has 8 fields/],
  ['@fortnightly', /not one of @hourly/],
  ['0 5-1 * * *', /runs backwards/],
  ['0 */0 * * *', /step "0" in hour/],
  ['0 1,,2 * * *', /not a valid hour/],
  ['x y z a b', /"x" is not a valid minute/],
  ['0 0 ? * *', /"\?" is not a valid day of month/],
  ['30 0 0 1 1 * 1969', /year 1969 is out of range 2000-2100/],
  ['0 0 L * *', /"L" is not a valid day of month/],
  ['0 0 * * 5L', /"5L" is not a valid day of week/],
];

describe('cron schedules (issue #11, item 11)', () => {
  it.each(ACCEPTED)('accepts %j as the server does', (cron) => expect(cronProblem(cron)).toBeUndefined());
  it.each(REFUSED)('refuses %j as the server does', (cron, why) => expect(cronProblem(cron)).toMatch(why));

  it('is a config error naming the target and the field', () => {
    let error: unknown;
    try {
      parseSettings({ targets: [{ name: 'nightly-db', kind: 'command', command: 'true', schedule: '0 25 * * *' }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual(['targets[0].schedule: invalid cron "0 25 * * *": hour 25 is out of range 0-23 (target "nightly-db")']);
  });

  it('checks calendar specs too', () => {
    expect(() => parseSettings({ targets: [{ name: 'a', kind: 'command', command: 'true', schedule: { hour: 24 } }] })).toThrow(/targets\[0\]\.schedule\.hour/);
    expect(() => parseSettings({ targets: [{ name: 'a', kind: 'command', command: 'true', schedule: { dayOfWeek: 'MONDAYS' } }] })).toThrow(
      /targets\[0\]\.schedule\.dayOfWeek/,
    );
    expect(
      parseSettings({
        targets: [{ name: 'a', kind: 'command', command: 'true', schedule: { hour: [{ start: 1, end: 5, step: 2 }, 23], dayOfWeek: 'MONDAY' } }],
      }).targets,
    ).toHaveLength(1);
  });
});
