import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsError, findTarget, parseSettings } from '../../../domain/settings/schema.js';
import { parseDurationMs } from '../../../domain/settings/duration.js';
import { loadSettings } from '../../../platform/settings-file.js';

describe('sentinel.yaml schema', () => {
  it('accepts the documented example and fills defaults', () => {
    const config = parseSettings({
      targets: [
        { name: 'orders-db', kind: 'postgres', url: 'postgres://user@host:5432/orders', policy: 'delay', threshold: 0.5 },
        { name: 'files', kind: 'command', command: 'restic backup /srv', policy: 'manual', approvalTimeout: '2h' },
        { name: 'custom', kind: 'workflow', workflow: { type: 'customBackup', taskQueue: 'their-queue' } },
      ],
    });
    expect(findTarget(config, 'orders-db')).toMatchObject({ delayMinutes: 60, maxDelays: 3, approvalTimeout: 12 * 3_600_000 });
    expect(findTarget(config, 'files')).toMatchObject({ policy: 'manual', threshold: 0.5, approvalTimeout: 2 * 3_600_000 });
  });

  it('rejects bad fields, naming the path of each', () => {
    let error: unknown;
    try {
      parseSettings({
        targets: [
          { name: 'a', kind: 'postgres', url: 'mysql://x', threshold: 1.5 },
          { name: 'b', kind: 'ftp' },
          { name: 'a', kind: 'command', command: 'true', approvalTimeout: 'soon' },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const problems = (error as SettingsError).problems;
    expect(problems).toContain('targets[0].url: must be a postgres:// or postgresql:// URL');
    expect(problems).toContain('targets[0].threshold: must be <= 1');
    expect(problems.some((p) => p.startsWith('targets[1].kind'))).toBe(true);
    expect(problems).toContain('targets[2].approvalTimeout: must be a duration like "90s", "15m", "12h" or seconds');
  });

  it('reports duplicate names, unknown targets, malformed YAML', async () => {
    expect(() =>
      parseSettings({
        targets: [
          { name: 'a', kind: 'command', command: 'x' },
          { name: 'a', kind: 'command', command: 'y' },
        ],
      }),
    ).toThrow('targets[1].name: duplicate target name "a"');
    expect(() => findTarget(parseSettings({}), 'nope')).toThrow('unknown target "nope"; configured targets: (none)');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'sentinel.yaml');
    await writeFile(file, 'targets: [\n  - name: x\n');
    await expect(loadSettings(file)).rejects.toThrow(/is not valid YAML/);
    await expect(loadSettings(path.join(dir, 'missing.yaml'))).resolves.toMatchObject({ targets: [] });
  });

  it('parses durations', () => {
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('12h')).toBe(43_200_000);
    expect(parseDurationMs(30)).toBe(30_000);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseDurationMs(-1)).toBeUndefined();
  });
});
