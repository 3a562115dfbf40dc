import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSentinelYaml } from '../../domain/settings/sentinel-yaml.js';
import { runCli } from '../helpers/cli.js';

// Issue #11, item 11 (first run without sentinel.yaml) and item 13 (a misspelt key), through the real executable.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-init-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sentinel init and a missing sentinel.yaml (CLI)', () => {
  it('writes the commented example, refuses to overwrite it without --force', async () => {
    const file = path.join(dir, 'conf', 'sentinel.yaml');
    const first = await runCli(['init', '--path', file], {});
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`wrote ${file}`);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(await readFile('sentinel.example.yaml', 'utf8'));
    expect(parseSentinelYaml(text).targets.length).toBeGreaterThan(0);
    expect((await stat(file)).mode & 0o077).toBe(0); // it holds database URLs once edited

    await writeFile(file, 'timezone: Europe/Berlin\n');
    const again = await runCli(['init', '--path', file], {});
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`error: ${file} already exists; not overwritten (use --force to replace it)\n`);
    expect(await readFile(file, 'utf8')).toBe('timezone: Europe/Berlin\n');

    const forced = await runCli(['init', '--path', file, '--force', '--json'], {});
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ path: file });
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('writes to SENTINEL_CONFIG by default', async () => {
    const file = path.join(dir, 'from-env.yaml');
    expect((await runCli(['init'], { SENTINEL_CONFIG: file })).code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(await readFile('sentinel.example.yaml', 'utf8'));
  });

  it('says that sentinel.yaml is missing and where an example is, instead of "unknown target"', async () => {
    const missing = path.join(dir, 'nowhere', 'sentinel.yaml');
    const run = await runCli(['backup', 'run', 'orders-db'], { SENTINEL_CONFIG: missing });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`unknown target "orders-db": ${missing} does not exist, so no targets are configured`);
    expect(run.stderr).toContain('`npx sentinel init`');
    expect(run.stderr).toContain(path.resolve('sentinel.example.yaml'));
  });

  it('refuses a misspelt key before starting anything, naming the line and the key meant', async () => {
    const file = path.join(dir, 'typo.yaml');
    await writeFile(file, 'targets:\n  - name: orders-db\n    kind: command\n    command: "true"\n    treshold: 0.2\n    polcy: manual\n');
    const run = await runCli(['backup', 'run', 'orders-db'], { SENTINEL_CONFIG: file });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: ${file} is invalid:\n  targets[0].treshold: unknown key; did you mean \`threshold\`? (line 5)\n  targets[0].polcy: unknown key; did you mean \`policy\`? (line 6)\n`,
    );
  });
});
