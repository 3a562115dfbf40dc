import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDirectories, MAX_NEW_DIRECTORY_LEVELS, prepareRestoreDirectory } from '../../../capabilities/config-backup/store/restore-target.js';
import { tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.cleanup());

describe('restore directory checks and bounded directory creation', () => {
  it('creates missing levels one at a time and returns the first one created, like mkdir -p', async () => {
    const target = join(dir.path, 'a', 'b', 'c');
    expect(await createDirectories(target)).toBe(join(dir.path, 'a'));
    expect((await stat(target)).isDirectory()).toBe(true);
    expect(await createDirectories(target)).toBeUndefined();
    expect(await prepareRestoreDirectory(join(dir.path, 'x', 'y'))).toEqual({ ok: true, path: join(dir.path, 'x', 'y') });
  });

  it('stops with a clear error beyond the level limit instead of walking on', async () => {
    const deep = join(dir.path, ...Array.from({ length: MAX_NEW_DIRECTORY_LEVELS + 1 }, (_, i) => `d${i}`));
    await expect(createDirectories(deep)).rejects.toThrow(`has more than ${MAX_NEW_DIRECTORY_LEVELS} missing directory levels`);
    expect(await prepareRestoreDirectory(deep)).toEqual({ ok: false, reason: `${deep} has more than ${MAX_NEW_DIRECTORY_LEVELS} missing directory levels` });
  });

  it('refuses a regular file on the way, and /proc below which nothing can be created', async () => {
    const file = join(dir.path, 'file');
    await writeFile(file, 'x');
    await expect(createDirectories(join(file, 'sub'))).rejects.toThrow(`${file} is a regular file, not a directory`);
    expect(await prepareRestoreDirectory(join(file, 'sub'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('is a regular file, not a directory'),
    });
    // Node's recursive mkdir never returns here (procfs answers ENOENT with the parent present).
    await expect(createDirectories('/proc/no-such-dir/below')).rejects.toThrow('cannot create directory /proc/no-such-dir (ENOENT)');
  });
});
