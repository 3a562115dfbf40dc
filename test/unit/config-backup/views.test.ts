import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SENSITIVE_KEYS } from '../../../domain/config-backup/sensitive.js';
import { Keyring } from '../../../domain/config-backup/keyring.js';
import { expandFilePatterns } from '../../../capabilities/config-backup/run/plan.js';
import { ViewPool } from '../../../capabilities/config-backup/run/view-pool.js';
import { buildFileView, effectiveSensitiveKeys, redactionProfile } from '../../../capabilities/config-backup/run/views.js';
import { redactorFor } from '../../../capabilities/config-backup/services.js';
import { PayloadStore } from '../../../capabilities/config-backup/store/payload-store.js';
import { loadPayload } from '../../../capabilities/config-backup/store/payloads.js';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';

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

  it('parse threads stage files: the same views as the calling thread, sealed payloads for the pack, failures per file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cfg-stage-'));
    try {
      const keyring = Keyring.fromSpec(KEY);
      const redactor = redactorFor(keyring, effectiveSensitiveKeys());
      const store = new PayloadStore(path.join(dir, 'store'), { packed: true });
      const paths = await Promise.all(
        FILES.map(async ([text], index) => {
          const file = path.join(dir, `f${index}`);
          await writeFile(file, text);
          return file;
        }),
      );
      const inline = FILES.map(([text, format]) => buildFileView(redactor, Buffer.from(text), format));
      const staged = await Promise.all(
        FILES.map(([, format], index) => pool.stageFile({ path: paths[index]!, format, storedHash: null, reuseViewForHash: null })),
      );
      expect(staged.map((s) => (s.ok ? s.view : s))).toEqual(inline);
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
      // The sealed payloads are ciphertext; once put and flushed (one pack) they load back to the file's bytes.
      for (const [index, result] of staged.entries()) {
        if (!result.ok || !result.envelope) throw new Error(`file ${index} was not sealed`);
        expect(result.contentHash).toBe(keyring.contentHash(Buffer.from(FILES[index]![0])));
        expect(Buffer.from(result.envelope).toString('latin1')).not.toContain('canary');
        expect(openFileMetadata(keyring, paths[index]!, Buffer.from(result.metadataEnvelope)).size).toBe(Buffer.byteLength(FILES[index]![0]));
        expect(await store.put(result.contentHash, result.envelope)).toMatchObject({ written: true });
      }
      expect((await store.flush()).size).toBe(0);
      expect(await readdir(store.packsDir)).toHaveLength(1);
      for (const [index, result] of staged.entries()) {
        if (result.ok) expect((await loadPayload(new PayloadStore(store.dir), keyring, result.contentHash)).toString()).toBe(FILES[index]![0]);
      }
      // Stored already: not sealed again; the previous view reusable: none built.
      const first = staged[0]!.ok ? staged[0]!.contentHash : null;
      expect(await pool.stageFile({ path: paths[0]!, format: 'yaml', storedHash: first, reuseViewForHash: first })).toMatchObject({
        ok: true,
        contentHash: first,
        envelope: null,
        view: null,
      });
      expect(await pool.stageFile({ path: path.join(dir, 'missing.yaml'), format: 'yaml', storedHash: null, reuseViewForHash: null })).toEqual({
        ok: false,
        code: 'not-found',
        reason: `${path.join(dir, 'missing.yaml')} does not exist`,
      });
      expect(await pool.stageFile({ path: dir, format: 'text', storedHash: null, reuseViewForHash: null })).toMatchObject({ ok: false, code: 'not-a-file' });
    } finally {
      await rm(dir, { recursive: true, force: true });
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
