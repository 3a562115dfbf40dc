import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PayloadStore } from '../../../capabilities/config-backup/store/payload-store.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('../../helpers/pack-store-child.ts', import.meta.url));
/** Descriptors for the child: Node with tsx holds about 30 before it opens a pack; the store has 241 packs. */
const FD_LIMIT = 64;

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.cleanup());

const newHash = () => randomBytes(32).toString('hex');

describe('PayloadStore with more packs than file descriptors', () => {
  it('reads every object and repacks a 300-object pack in a process limited to 64 descriptors', async () => {
    // A year of daily runs leaves hundreds of small packs; the first run leaves packs of up to 500 objects.
    const root = join(dir.path, 'store');
    const writer = new PayloadStore(root, { packed: true });
    const daily: string[] = [];
    for (let i = 0; i < 240; i++) {
      const hash = newHash();
      await writer.put(hash, randomBytes(100));
      await writer.flush();
      daily.push(hash);
    }
    const first = Array.from({ length: 300 }, newHash);
    for (const hash of first) await writer.put(hash, randomBytes(100));
    expect((await writer.flush()).size).toBe(0);
    expect(await readdir(join(root, 'packs'))).toHaveLength(241);

    const dropped = first[7]!;
    const { stdout } = await run('bash', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" --import tsx "$@"`, process.execPath, CHILD, root, dropped], {
      timeout: 60_000,
    });
    const seen = JSON.parse(stdout) as { listed: number; present: number; bytes: number; unreadable: string[]; removed: string[]; after: number };
    expect(seen).toEqual({ listed: 540, present: 540, bytes: expect.any(Number), unreadable: [], removed: [dropped], after: 539 });
    // The 300-object pack was rewritten without the dropped object; the daily packs are untouched.
    expect(await readdir(join(root, 'packs'))).toHaveLength(241);
  }, 120_000);
});
