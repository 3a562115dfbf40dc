import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SENSITIVE_KEYS } from '../../../domain/config-backup/sensitive.js';
import { Keyring } from '../../../domain/config-backup/keyring.js';
import { expandFilePatterns } from '../../../capabilities/config-backup/run/plan.js';
import { ViewPool } from '../../../capabilities/config-backup/run/view-pool.js';
import { buildFileView, effectiveSensitiveKeys, redactionProfile } from '../../../capabilities/config-backup/run/views.js';
import { redactorFor } from '../../../capabilities/config-backup/services.js';

const KEY = Buffer.alloc(32, 0x21).toString('base64');
const FILES: Array<[string, 'yaml' | 'json' | 'ini' | 'env' | 'toml' | 'text']> = [
  ['db:\n  password: hunter2-canary\n  port: 5432\n', 'yaml'],
  ['{"token": "t0k3n-canary", "n": 1}', 'json'],
  ['[a]\npassword = x-canary\n', 'ini'],
  ['SECRET_KEY=abc-canary\nHOST=h\n', 'env'],
  ['[s]\napi_key = "k-canary"\n', 'toml'],
  ['location / { proxy_pass http://u:pw-canary@up; }\n', 'text'],
  ['broken: [1, 2\npassword: y-canary\n', 'yaml'],
];

describe('redacted views', () => {
  it('extra sensitive keys add to the defaults; the profile changes with the list, not its order', () => {
    expect(effectiveSensitiveKeys([' PIN ', 'PASSWORD', ''])).toEqual([...DEFAULT_SENSITIVE_KEYS, 'PIN']);
    expect(redactionProfile(['A', 'B'])).toBe(redactionProfile(['B', 'A']));
    expect(redactionProfile(['A'])).not.toBe(redactionProfile(['A', 'B']));
    expect(redactionProfile(['A'])).toMatch(/^[0-9a-f]{16}$/);
  });

  const pool = new ViewPool(KEY, effectiveSensitiveKeys(), 2);
  afterAll(() => pool.close());

  it('parse threads build exactly the views the calling thread builds (same markers, same hash)', async () => {
    const redactor = redactorFor(Keyring.fromSpec(KEY), effectiveSensitiveKeys());
    const inline = FILES.map(([text, format]) => buildFileView(redactor, Buffer.from(text), format));
    const threaded = await Promise.all(FILES.map(([text, format]) => pool.build(Buffer.from(text), format)));
    expect(threaded).toEqual(inline);
    expect(inline.map((v) => [v.kind, v.format, v.secretCount, v.warningCount])).toEqual([
      ['map', 'yaml', 1, 0],
      ['map', 'json', 1, 0],
      ['map', 'ini', 1, 0],
      ['map', 'env', 1, 0],
      ['map', 'toml', 1, 0],
      ['text', 'text', 1, 0],
      ['text', 'text', 1, 1],
    ]);
    for (const view of inline) {
      expect(view.json).not.toContain('canary');
      expect(view.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe('file patterns', () => {
  it('keeps plain paths (even missing ones), expands globs, reports globs that match nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cfg-plan-'));
    try {
      for (const name of ['a.yaml', 'b.yaml', '.hidden.yaml', 'c.json']) await writeFile(path.join(dir, name), '{}');
      const expanded = await expandFilePatterns([`${dir}/*.yaml`, 'rel/missing.conf', `${dir}/a.yaml`, `${dir}/none/*.ini`, ' '], '/srv');
      expect(expanded).toEqual({
        files: [path.join(dir, '.hidden.yaml'), path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml'), '/srv/rel/missing.conf'].sort(),
        unmatched: [`${dir}/none/*.ini`],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
