import { describe, expect, it } from 'vitest';
import { SettingsError, parseSettings } from '../../../domain/settings/schema.js';
import { editDistance, nearestKey } from '../../../domain/settings/unknown-keys.js';

const problemsOf = (data: unknown): string[] => {
  try {
    parseSettings(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error('expected the config to be refused');
};

describe('unknown keys in sentinel.yaml (issue #11, item 13)', () => {
  it('refuses the misspelt keys of the issue, naming the path and the key that was meant', () => {
    const problems = problemsOf({ targets: [{ name: 'orders-db', kind: 'postgres', url: 'postgres://db/orders', treshold: 0.2, polcy: 'manual' }] });
    expect(problems).toEqual(['targets[0].treshold: unknown key; did you mean `threshold`?', 'targets[0].polcy: unknown key; did you mean `policy`?']);
  });

  it('refuses unknown keys at the root, in every target kind and in nested objects', () => {
    expect(problemsOf({ timezon: 'UTC' })).toEqual(['timezon: unknown key; did you mean `timezone`?']);
    expect(problemsOf({ targets: [{ name: 'a', kind: 'command', command: 'true', delay_minutes: 5 }] })).toEqual([
      'targets[0].delay_minutes: unknown key; did you mean `delayMinutes`?',
    ]);
    expect(problemsOf({ targets: [{ name: 'w', kind: 'workflow', workflow: { type: 'x', tasQueue: 'q', taskQueue: 'q' } }] })).toEqual([
      'targets[0].workflow.tasQueue: unknown key; did you mean `taskQueue`?',
    ]);
    expect(problemsOf({ targets: [{ name: 'a', kind: 'command', command: 'true', schedule: { hours: 3 } }] })).toEqual([
      'targets[0].schedule.hours: unknown key; did you mean `hour`? (target "a")',
    ]);
    expect(problemsOf({ targets: [{ name: 'a', kind: 'command', command: 'true', schedule: { hour: { start: 1, ned: 3 } } }] })[0]).toMatch(
      /^targets\[0\]\.schedule\.hour\.ned: unknown key; did you mean `end`\?/,
    );
  });

  it('lists the keys allowed there when nothing is close, once per object', () => {
    const problems = problemsOf({ targets: [{ name: 'a', kind: 'command', command: 'true', colour: 'red', flavour: 'mint' }] });
    expect(problems[0]).toMatch(/^targets\[0\]\.colour: unknown key; known keys here: name, policy, threshold, .*, kind, command, timeoutSeconds$/);
    expect(problems[0]).not.toContain('url'); // the command kind's keys, not the postgres kind's
    expect(problems[1]).toBe('targets[0].flavour: unknown key');
  });

  it('still accepts every known key, and leaves defaults alone', () => {
    const config = parseSettings({ timezone: 'UTC', targets: [{ name: 'a', kind: 'command', command: 'true', threshold: 0.2, policy: 'manual' }] });
    expect(config.targets[0]).toMatchObject({ threshold: 0.2, policy: 'manual' });
  });

  it('suggests only near misses', () => {
    expect(editDistance('treshold', 'threshold')).toBe(1);
    expect(editDistance('polciy', 'policy')).toBe(1); // a transposition is one edit
    expect(nearestKey('Threshold', ['threshold'])).toBe('threshold');
    expect(nearestKey('url', ['uri', 'name'])).toBe('uri');
    expect(nearestKey('colour', ['name', 'policy', 'command'])).toBeUndefined();
    expect(nearestKey('x'.repeat(5000), ['threshold'])).toBeUndefined();
  });
});
