import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileMetadata, sealFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import { rebaseUnderTarget } from '../../../domain/config-backup/paths.js';
import { PayloadStore } from '../../../capabilities/config-backup/store/payload-store.js';
import { loadPayload, storePayload } from '../../../capabilities/config-backup/store/payloads.js';
import { readConfigFile, readConfigFileSync, type ReadConfigFileOptions } from '../../../capabilities/config-backup/store/read-config-file.js';
import { restoreFile } from '../../../capabilities/config-backup/store/restore.js';
import { keyringK1, random, tempDir, walk } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.cleanup());

const readers = [
  ['readConfigFile', readConfigFile],
  // The parse threads' blocking variant: the same results, codes and reasons.
  ['readConfigFileSync', async (path: string, options?: ReadConfigFileOptions) => readConfigFileSync(path, options)],
] as const;

describe.each(readers)('%s', (_name, readConfigFile) => {
  it('returns bytes and attributes', async () => {
    const path = join(dir.path, 'app.yaml');
    await writeFile(path, 'a: 1\n');
    await chmod(path, 0o640);
    const mtime = new Date('2024-02-03T04:05:06.789Z');
    await utimes(path, mtime, mtime);
    const result = await readConfigFile(path);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.bytes.toString()).toBe('a: 1\n');
    expect(result.metadata).toMatchObject({ size: 5, mode: 0o640, mtimeMs: mtime.getTime() });
    expect(result.metadata.uid).toBe(process.getuid!());
  });

  it('fails alone, with path and reason, for missing, directory, oversized and binary files', async () => {
    const big = join(dir.path, 'big.conf');
    await writeFile(big, 'x'.repeat(2048));
    const binary = join(dir.path, 'blob.conf');
    await writeFile(binary, Buffer.from([0x61, 0x00, 0x62]));
    const missing = join(dir.path, 'nope.yaml');
    expect(await readConfigFile(missing)).toEqual({ ok: false, path: missing, code: 'not-found', reason: `${missing} does not exist` });
    expect(await readConfigFile(dir.path)).toMatchObject({ ok: false, path: dir.path, code: 'not-a-file' });
    expect(await readConfigFile(big, { maxBytes: 1024 })).toEqual({
      ok: false,
      path: big,
      code: 'too-large',
      reason: `${big} is too large (2048 bytes; limit 1024 bytes)`,
    });
    expect(await readConfigFile(big, { maxBytes: 2048 })).toMatchObject({ ok: true });
    expect(await readConfigFile(binary)).toEqual({ ok: false, path: binary, code: 'binary', reason: `${binary} looks binary (contains NUL bytes)` });
    const fifo = join(dir.path, 'pipe.conf');
    execFileSync('mkfifo', [fifo]);
    expect(await readConfigFile(fifo)).toEqual({ ok: false, path: fifo, code: 'not-a-file', reason: `${fifo} is not a regular file` });
  });
});

describe('readConfigFile permissions', () => {
  it.skipIf(process.getuid?.() === 0)('reports permission denied', async () => {
    const path = join(dir.path, 'secret.env');
    await writeFile(path, 'A=1');
    await chmod(path, 0o000);
    expect(await readConfigFile(path)).toMatchObject({ ok: false, code: 'permission-denied' });
  });
});

describe('file metadata envelope', () => {
  it('round-trips and is bound to the path', () => {
    const keyring = keyringK1();
    const metadata = { size: 10, mode: 0o644, uid: 1000, gid: 1000, mtimeMs: 1_700_000_000_123.456 };
    const sealed = sealFileMetadata(keyring, '/etc/app.yaml', metadata, random);
    expect(openFileMetadata(keyring, '/etc/app.yaml', sealed)).toEqual(metadata);
    expect(() => openFileMetadata(keyring, '/etc/other.yaml', sealed)).toThrow(
      'cannot decrypt payload file:/etc/other.yaml: authentication failed (wrong key or tampered data)',
    );
  });
});

describe('restoreFile', () => {
  it('restores byte-identical content with mode and mtime from a backup', async () => {
    const keyring = keyringK1();
    const store = new PayloadStore(join(dir.path, 'store'));
    const source = join(dir.path, 'etc', 'app.yaml');
    await mkdir(join(dir.path, 'etc'));
    const original = Buffer.from('server:\n  port: 8443\n\u00e9\r\n', 'utf8');
    await writeFile(source, original);
    await chmod(source, 0o640);
    const mtime = new Date('2023-05-06T07:08:09.123Z');
    await utimes(source, mtime, mtime);

    const read = await readConfigFile(source);
    if (!read.ok) throw new Error(read.reason);
    const { hash } = await storePayload(store, keyring, read.bytes);
    const sealed = sealFileMetadata(keyring, source, read.metadata, random);

    const root = join(dir.path, 'restore');
    await mkdir(root);
    const target = rebaseUnderTarget(root, source);
    if (!target.ok) throw new Error(target.reason);
    const metadata = openFileMetadata(keyring, source, sealed);
    const result = await restoreFile({
      root,
      destination: target.path,
      bytes: await loadPayload(store, keyring, hash),
      mode: metadata.mode,
      mtimeMs: metadata.mtimeMs,
    });
    expect(result).toEqual({ ok: true, path: target.path, bytesWritten: original.length, ownerRestored: false });
    expect((await readFile(target.path)).equals(original)).toBe(true);
    const restored = await stat(target.path);
    expect(restored.mode & 0o7777).toBe(0o640);
    // utimes takes seconds as a double: exact to well under a microsecond, not to the nanosecond.
    expect(Math.abs(restored.mtimeMs - read.metadata.mtimeMs)).toBeLessThan(0.001);
    expect(restored.mtime.toISOString()).toBe(mtime.toISOString());
    expect((await walk(root)).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('refuses to overwrite an existing file unless forced', async () => {
    const root = dir.path;
    const path = join(root, 'app.conf');
    await writeFile(path, 'current');
    const refused = await restoreFile({ root, destination: 'app.conf', bytes: Buffer.from('restored') });
    expect(refused).toEqual({ ok: false, path, code: 'exists', reason: `${path} already exists (use force to overwrite)` });
    expect(await readFile(path, 'utf8')).toBe('current');
    const forced = await restoreFile({ root, destination: 'app.conf', bytes: Buffer.from('restored'), force: true, mode: 0o600 });
    expect(forced.ok).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('restored');
    expect(await walk(root)).toEqual(['app.conf']);
  });

  it('refuses paths that escape the root', async () => {
    const root = join(dir.path, 'root');
    await mkdir(root);
    for (const destination of ['../escape.conf', '/etc/passwd', `${root}/../escape.conf`]) {
      const result = await restoreFile({ root, destination, bytes: Buffer.from('x'), force: true });
      expect(result).toMatchObject({ ok: false, code: 'unsafe-path' });
    }
    expect(await walk(dir.path)).toEqual([]);
  });

  it('refuses a parent symlink that escapes the root, and a destination symlink pointing outside', async () => {
    const root = join(dir.path, 'root');
    const outside = join(dir.path, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await symlink(outside, join(root, 'conf'));
    const viaParent = await restoreFile({ root, destination: 'conf/evil.conf', bytes: Buffer.from('x'), force: true });
    expect(viaParent).toMatchObject({ ok: false, code: 'unsafe-path' });
    expect(!viaParent.ok && viaParent.reason).toMatch(/escapes the restore root .* through a symlink/);
    const deeper = await restoreFile({ root, destination: 'conf/new/dir/evil.conf', bytes: Buffer.from('x'), force: true });
    expect(deeper).toMatchObject({ ok: false, code: 'unsafe-path' });

    await writeFile(join(outside, 'target.conf'), 'outside file');
    await symlink(join(outside, 'target.conf'), join(root, 'link.conf'));
    const viaLink = await restoreFile({ root, destination: 'link.conf', bytes: Buffer.from('x'), force: true });
    expect(viaLink).toMatchObject({ ok: false, code: 'unsafe-path' });
    expect(!viaLink.ok && viaLink.reason).toMatch(/symlink that points outside/);
    expect(await readFile(join(outside, 'target.conf'), 'utf8')).toBe('outside file');
    expect(await walk(outside)).toEqual(['target.conf']);
  });

  it.runIf(process.getuid?.() === 0)('restores the owner when running as root and asked to', async () => {
    const root = dir.path;
    const result = await restoreFile({
      root,
      destination: 'owned.conf',
      bytes: Buffer.from('x'),
      uid: 4321,
      gid: 4322,
      restoreOwner: true,
      mode: 0o2640,
    });
    expect(result).toMatchObject({ ok: true, ownerRestored: true });
    const info = await stat(join(root, 'owned.conf'));
    expect([info.uid, info.gid, info.mode & 0o7777]).toEqual([4321, 4322, 0o2640]);
    const notAsked = await restoreFile({ root, destination: 'plain.conf', bytes: Buffer.from('x'), uid: 4321, gid: 4322 });
    expect(notAsked).toMatchObject({ ok: true, ownerRestored: false });
    expect((await stat(join(root, 'plain.conf'))).uid).toBe(0);
  });

  it('follows symlinks that stay inside the root and creates missing parents', async () => {
    const root = join(dir.path, 'root');
    await mkdir(join(root, 'real'), { recursive: true });
    await symlink(join(root, 'real'), join(root, 'alias'));
    const result = await restoreFile({ root, destination: 'alias/sub/app.ini', bytes: Buffer.from('a=1') });
    expect(result).toMatchObject({ ok: true, path: join(root, 'real', 'sub', 'app.ini') });
    expect(await readFile(join(root, 'real', 'sub', 'app.ini'), 'utf8')).toBe('a=1');
  });
});
