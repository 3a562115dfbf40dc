import { describe, expect, it } from 'vitest';
import { parseSentinelYaml } from '../../../domain/settings/sentinel-yaml.js';

const errorOf = (text: string): string => {
  try {
    parseSentinelYaml(text, 'sentinel.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('sentinel.yaml errors point at the right line (issue #11, item 11)', () => {
  it('places an unterminated quote where it opens, not past the end of the file', () => {
    const text = 'timezone: UTC\ntargets:\n  - name: orders-db\n    kind: command\n    command: "tar -czf x.tgz /etc\n    threshold: 0.3\n';
    // The yaml package reports line 7 here (after the last line): where it gave up, not where the mistake is.
    expect(errorOf(text)).toBe(
      'sentinel.yaml is not valid YAML: this quoted string is never closed at line 5, column 14\n  5 |     command: "tar -czf x.tgz /etc\n    |              ^',
    );
    expect(errorOf("a: 'x\n")).toMatch(/never closed at line 1, column 4/);
  });

  it('gives line and column of other syntax errors, with the line shown', () => {
    expect(errorOf('timezone: UTC\ntimezone: X\n')).toMatch(
      /^sentinel\.yaml is not valid YAML: Map keys must be unique at line 2, column 1\n {2}2 \| timezone: X/,
    );
    expect(errorOf('targets:\n\t- name: a\n')).toMatch(/Tabs are not allowed as indentation at line 2, column 1/);
    expect(errorOf('a: "x"\nb: "y\\"\n')).toMatch(/never closed at line 2, column 4/); // an escaped quote does not close
  });

  it('gives the line of each schema problem', () => {
    const text = 'targets:\n  - name: orders-db\n    kind: command\n    command: "true"\n    treshold: 0.3\n    schedule: "0 25 * * *"\n';
    expect(errorOf(text)).toBe(
      'sentinel.yaml is invalid:\n' +
        '  targets[0].treshold: unknown key; did you mean `threshold`? (line 5)\n' +
        '  targets[0].schedule: invalid cron "0 25 * * *": hour 25 is out of range 0-23 (target "orders-db", line 6)',
    );
  });

  it('shows a window of a huge line, not all of it', () => {
    const message = errorOf(`a: "${'x'.repeat(100_000)}\n`);
    expect(message.length).toBeLessThan(400);
  });
});
