/**
 * Restores never write outside the directory they were given. Lexically (resolveRestorePath, rebaseUnderTarget)
 * for any path text, and on a real filesystem with real symlinks: destinations with `..`, absolute paths outside
 * the root, a symlinked directory pointing outside, a symlink (or dangling symlink, or loop) at the destination.
 * Both the file writer (restoreFile) and what `sentinel config restore ID --to DIR` runs after loading the item
 * row (restoreItem with a real payload store) are exercised; after every attempt the outside tree is unchanged.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import { Keyring } from '../../../domain/config-backup/keyring.js';
import { isWithinRoot, normalizePosixPath, rebaseUnderTarget, resolveRestorePath } from '../../../domain/config-backup/paths.js';
import type { ItemRow } from '../../../db/repositories/config-backups.js';
import { DotenvEncodingError } from '../../../capabilities/config-backup/run/dotenv-text.js';
import { restoreItem, RestoreRefusedError } from '../../../capabilities/config-backup/operations/restore-item.js';
import { PayloadStore } from '../../../capabilities/config-backup/store/payload-store.js';
import { storePayload } from '../../../capabilities/config-backup/store/payloads.js';
import { restoreFile } from '../../../capabilities/config-backup/store/restore.js';
import { anyText } from './arbitraries.js';
import { RUNS_CHEAP, RUNS_FILES } from './budgets.js';
import { assertClearMessage, expectClearOutcomeAsync, expectNoThrow, hostileParameters } from './expect-clear-error.js';

const SEGMENTS = ['..', '.', '', 'a', 'b', '...', '..a', 'a..', ' ', '\0', 'é', '%2e%2e', '\\..'];
const pathText = fc.oneof(
  fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 8 }).chain((segments) => fc.boolean().map((absolute) => `${absolute ? '/' : ''}${segments.join('/')}`)),
  anyText(30),
);

describe('lexical containment (domain/config-backup/paths.ts)', () => {
  const root = fc.oneof(fc.constantFrom('/', '/srv/restore', '/srv/restore/', '//srv//restore/.', '/srv/../srv/restore'), pathText);

  it(`resolveRestorePath gives a normalised path strictly inside the root, or a reason (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(root, pathText, (rootPath, requested) => {
        const check = expectNoThrow(() => resolveRestorePath(rootPath, requested));
        if (!check.ok) return assertClearMessage(check.reason, 'reason');
        expect(check.path).toBe(normalizePosixPath(check.path));
        expect(check.path.split('/')).not.toContain('..');
        expect(check.path).not.toContain('\0');
        expect(isWithinRoot(rootPath, check.path)).toBe(true);
        expect(check.path).not.toBe(normalizePosixPath(rootPath));
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`rebaseUnderTarget keeps any original path below the target directory (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(pathText, (original) => {
        const check = expectNoThrow(() => rebaseUnderTarget('/srv/restore', original));
        if (!check.ok) return assertClearMessage(check.reason, 'reason');
        expect(check.path.startsWith('/srv/restore/')).toBe(true);
        expect(check.path.split('/')).not.toContain('..');
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

/** Every file below `dir` with its bytes, and every symlink with its target: what "unchanged" compares. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const info = await lstat(full);
    out[relative(dir, full)] = info.isSymbolicLink() ? `link` : info.isFile() ? (await readFile(full)).toString('hex') : 'dir';
  }
  return out;
}

describe('restores on a real filesystem with real symlinks', () => {
  let base: string;
  let root: string;
  let outside: string;
  let before: Record<string, string>;
  let siblingsBefore: string[];
  const keyring = Keyring.fromKeys([{ id: 'k1', key: Buffer.alloc(32, 0x11) }]);
  let store: PayloadStore;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'hostile-restore-')));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(join(root, 'sub', 'etc'), { recursive: true });
    await mkdir(join(outside, 'etc'), { recursive: true });
    await writeFile(join(outside, 'victim.txt'), 'must never change');
    await writeFile(join(outside, 'etc', 'app.yaml'), 'outside config');
    await writeFile(join(root, 'sub', 'inner.txt'), 'inside');
    await symlink(outside, join(root, 'out'));
    await symlink(join(outside, 'etc'), join(root, 'etc'));
    await symlink(join(outside, 'victim.txt'), join(root, 'out-file'));
    await symlink(join(outside, 'created-through-dangling-link'), join(root, 'dangling'));
    await symlink('loop', join(root, 'loop'));
    await symlink(join(root, 'sub'), join(root, 'in-link'));
    await symlink(join(root, 'sub', 'inner.txt'), join(root, 'in-file-link'));
    await mkdir(join(base, 'store'));
    store = new PayloadStore(join(base, 'store'));
    before = await snapshot(outside);
    siblingsBefore = (await readdir(base)).sort();
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function expectNothingWrittenOutside(): Promise<void> {
    expect(await snapshot(outside)).toEqual(before);
    expect((await readdir(base)).sort()).toEqual(siblingsBefore);
  }

  async function expectInsideRoot(path: string, bytes: Uint8Array): Promise<void> {
    const real = await realpath(path);
    expect(real.startsWith(`${root}/`), `${real} is inside ${root}`).toBe(true);
    expect((await readFile(real)).equals(Buffer.from(bytes))).toBe(true);
  }

  const destination = fc.oneof(
    fc
      .array(
        fc.constantFrom('..', '.', 'sub', 'out', 'etc', 'out-file', 'dangling', 'loop', 'in-link', 'in-file-link', 'new', 'x.txt', 'app.yaml', 'victim.txt'),
        { minLength: 1, maxLength: 5 },
      )
      .map((s) => s.join('/')),
    fc.constantFrom(
      '../outside/victim.txt',
      '../outside/new.txt',
      'out/victim.txt',
      'out/new.txt',
      'etc/app.yaml',
      'out-file',
      'dangling',
      'loop',
      'loop/x',
      'sub/../../outside/x',
      '/etc/passwd',
      '..',
      '.',
      '',
    ),
    fc.constantFrom('outside/victim.txt', 'outside/new.txt', 'root/../outside/x', 'root/out/x').map((p) => `BASE/${p}`),
  );

  it(`restoreFile refuses every escape and writes everything else inside the root (${RUNS_FILES} destinations)`, async () => {
    const tally = { written: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(destination, fc.boolean(), fc.uint8Array({ maxLength: 64 }), async (raw, force, bytes) => {
        const requested = raw.replace(/^BASE/, base);
        const outcome = await expectClearOutcomeAsync(() => restoreFile({ root, destination: requested, bytes, force, mode: 0o640 }), { accept: [] });
        const result = (outcome as { value: Awaited<ReturnType<typeof restoreFile>> }).value;
        if (result.ok) {
          tally.written++;
          await expectInsideRoot(result.path, bytes);
        } else {
          tally.refused++;
          assertClearMessage(result.reason, 'reason');
          expect(['unsafe-path', 'exists', 'io-error']).toContain(result.code);
        }
        await expectNothingWrittenOutside();
      }),
      hostileParameters(RUNS_FILES),
    );
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.written).toBeGreaterThan(0);
  });

  it('refuses the named escapes with a reason saying why', async () => {
    const bytes = Buffer.from('x');
    const cases: Array<[string, RegExp]> = [
      ['../outside/victim.txt', /escapes the restore root .* \(\.\.\)/],
      [join(outside, 'victim.txt'), /is outside the restore root/],
      ['out/new.txt', /escapes the restore root .* through a symlink/],
      ['etc/app.yaml', /escapes the restore root .* through a symlink/],
      ['out-file', /is a symlink that points outside the restore root/],
      ['dangling', /is a symlink that points outside the restore root .*\(or nowhere\)/],
    ];
    for (const [requested, reason] of cases) {
      for (const force of [false, true]) {
        const result = await restoreFile({ root, destination: requested, bytes, force });
        expect(result, requested).toMatchObject({ ok: false, code: 'unsafe-path' });
        expect((result as { reason: string }).reason).toMatch(reason);
      }
    }
    await expectNothingWrittenOutside();
  });

  /** An item row as `config restore` loads it, with its payload really stored and its attributes really sealed. */
  async function itemFor(type: ItemRow['type'], name: string, content: Uint8Array): Promise<ItemRow> {
    const plaintext =
      type === 'file'
        ? content
        : Buffer.from(
            JSON.stringify(type === 'env' ? { [`${name}VAR`]: Buffer.from(content).toString('hex') } : { setting: Buffer.from(content).toString('hex') }),
          );
    const put = await storePayload(store, keyring, plaintext);
    return {
      id: 1,
      setId: 1,
      type,
      name,
      status: 'backed_up',
      failureCode: null,
      failureReason: null,
      format: null,
      contentHash: put.hash,
      keyId: 'k1',
      sizeBytes: plaintext.length,
      payloadWritten: true,
      payloadBytesWritten: 0,
      viewHash: null,
      secretCount: 0,
      warningCount: 0,
      metadataEnvelope:
        type === 'file'
          ? sealFileMetadata(keyring, name, { size: plaintext.length, mode: 0o600, uid: 0, gid: 0, mtimeMs: 1_700_000_000_000 }, (n) => randomBytes(n))
          : null,
      backedUpAt: new Date(1_700_000_000_000),
      workflowId: 'config-backup/test',
      setStatus: 'completed',
    };
  }

  const itemName = fc.oneof(
    fc.array(fc.constantFrom('..', '.', 'etc', 'out', 'sub', 'in-link', 'app.yaml', 'x'), { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
    fc.constantFrom(
      '/etc/app.yaml',
      '/out/victim.txt',
      '/../../outside/victim.txt',
      '/etc/../../x',
      'relative/x',
      '../x',
      '/',
      'APP_',
      '../../outside/x',
      'a/../../../outside/y',
      'x\0y',
    ),
    anyText(12),
  );

  it(`restoreItem (sentinel config restore --to DIR) keeps files, .env and app items inside DIR or refuses them (${RUNS_FILES} items)`, async () => {
    const tally = { written: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<ItemRow['type']>('file', 'env', 'app'),
        itemName,
        fc.boolean(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (type, name, force, content) => {
          const item = await itemFor(type, name, content);
          const outcome = await expectClearOutcomeAsync(() => restoreItem(keyring, store, item, { to: root, force, cwd: base }), {
            accept: [RestoreRefusedError, DotenvEncodingError],
          });
          if (outcome.ok) expect((await realpath(outcome.value.path)).startsWith(`${root}/`)).toBe(true);
          else if (outcome.error instanceof RestoreRefusedError) expect(outcome.error.message).toMatch(/^refusing to restore item 1 /);
          tally[outcome.ok ? 'written' : 'refused']++;
          await expectNothingWrittenOutside();
        },
      ),
      hostileParameters(RUNS_FILES),
    );
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.written).toBeGreaterThan(0);
  });

  it('restoreItem refuses a file whose original path leads through a symlink out of DIR, with or without --force', async () => {
    for (const name of ['/out/victim.txt', '/etc/app.yaml', '/out-file', '/dangling']) {
      const item = await itemFor('file', name, Buffer.from('replacement'));
      for (const force of [false, true]) {
        await expect(restoreItem(keyring, store, item, { to: root, force, cwd: base })).rejects.toThrow(RestoreRefusedError);
      }
    }
    // The `app-` prefix absorbs one `..`: `app-../../../x.json` climbs one level above DIR.
    const app = await itemFor('app', '../../../x', Buffer.from('y'));
    await expect(restoreItem(keyring, store, app, { to: root, cwd: base })).rejects.toThrow(/escapes the restore root/);
    await expectNothingWrittenOutside();
  });
});
