import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyringFromEnv } from '../../../domain/config-backup/keyring.js';
import { adoptDevKey, ensureDevKey } from '../../../platform/dev-key.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dev-key-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('the development key', () => {
  it('is created once (owner-only), reused afterwards, and is a valid keyring with id "dev"', async () => {
    const first: NodeJS.ProcessEnv = {};
    expect(await ensureDevKey(dir, first)).toMatchObject({ source: 'created' });
    expect((await stat(path.join(dir, 'dev-key'))).mode & 0o777).toBe(0o600);
    expect(keyringFromEnv(first).activeKeyId).toBe('dev');
    const second: NodeJS.ProcessEnv = {};
    expect(await ensureDevKey(dir, second)).toMatchObject({ source: 'existing' });
    expect(second.CONFIG_BACKUP_KEY).toBe(first.CONFIG_BACKUP_KEY);
  });

  it('never replaces an explicit CONFIG_BACKUP_KEY, and is not created then', async () => {
    const env: NodeJS.ProcessEnv = { CONFIG_BACKUP_KEY: `mine:${Buffer.alloc(32, 1).toString('base64')}` };
    expect(await ensureDevKey(dir, env)).toEqual({ source: 'env' });
    expect(env.CONFIG_BACKUP_KEY).toMatch(/^mine:/);
    await expect(stat(path.join(dir, 'dev-key'))).rejects.toThrow(/ENOENT/);
    expect(await adoptDevKey(dir, env)).toBe(false);
  });

  it('is adopted by other processes only when the file exists', async () => {
    const none: NodeJS.ProcessEnv = {};
    expect(await adoptDevKey(dir, none)).toBe(false);
    expect(none.CONFIG_BACKUP_KEY).toBeUndefined();
    await ensureDevKey(dir, {});
    const cli: NodeJS.ProcessEnv = {};
    expect(await adoptDevKey(dir, cli)).toBe(true);
    expect(cli.CONFIG_BACKUP_KEY).toBe((await readFile(path.join(dir, 'dev-key'), 'utf8')).trim());
  });

  it('two starts racing end with one key', async () => {
    const [a, b] = [{} as NodeJS.ProcessEnv, {} as NodeJS.ProcessEnv];
    await Promise.all([ensureDevKey(dir, a), ensureDevKey(dir, b)]);
    expect(a.CONFIG_BACKUP_KEY).toBe(b.CONFIG_BACKUP_KEY);
  });

  it('a garbage key file is an error naming the file, not CONFIG_BACKUP_KEY', async () => {
    const file = path.join(dir, 'dev-key');
    for (const garbage of ['hello, world', 'dev:c2hvcnQ=', '\u0000\u0001binary']) {
      await writeFile(file, garbage);
      for (const read of [() => ensureDevKey(dir, {}), () => adoptDevKey(dir, {})]) {
        const error = await read().then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error?.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( entry #\\d+)? (is|must be)`));
        expect(error?.message).toContain('the development key file is damaged; restore it, or delete it to let `npm start` create a new development key');
        expect(error?.message).not.toContain('CONFIG_BACKUP_KEY');
      }
    }
  });

  it('an emptied key file is a clear error, not a silent new key', async () => {
    await writeFile(path.join(dir, 'dev-key'), '');
    await expect(ensureDevKey(dir, {})).rejects.toThrow(/dev-key is empty: delete it/);
  });
});
