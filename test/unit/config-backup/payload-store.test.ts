import { readFile, utimes, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payloadContext } from '../../../domain/config-backup/contexts.js';
import { inspectEnvelope, Keyring, sealEnvelope } from '../../../domain/config-backup/crypto.js';
import { PayloadStore } from '../../../capabilities/config-backup/store/payload-store.js';
import { loadPayload, rotatePayload, storePayload } from '../../../capabilities/config-backup/store/payloads.js';
import { KEY_1, KEY_2, keyringK1, random, tempDir, walk } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let store: PayloadStore;
const keyring = keyringK1();

beforeEach(async () => {
  dir = await tempDir();
  store = new PayloadStore(join(dir.path, 'store'));
});
afterEach(() => dir.cleanup());

describe('PayloadStore', () => {
  it('stores under objects/<ab>/<hash>, round-trips, and leaves no temp files', async () => {
    const plaintext = Buffer.from('server:\n  port: 8443\n');
    const put = await storePayload(store, keyring, plaintext);
    const hash = keyring.contentHash(plaintext);
    expect(put.hash).toBe(hash);
    expect(put.written).toBe(true);
    expect(put.bytesWritten).toBe(inspectEnvelope(await store.get(hash)).envelopeLength);
    expect(await walk(store.dir)).toEqual([`objects/${hash.slice(0, 2)}/${hash}`]);
    expect((await readFile(store.pathFor(hash))).includes(plaintext)).toBe(false);
    expect((await loadPayload(store, keyring, hash)).equals(plaintext)).toBe(true);
    expect(await store.has(hash)).toBe(true);
    expect(await store.list()).toEqual([hash]);
  });

  it('dedupes on the keyed hash: the second put of the same content writes 0 bytes', async () => {
    const plaintext = Buffer.from('same content');
    const first = await storePayload(store, keyring, plaintext);
    const before = await readFile(store.pathFor(first.hash));
    const second = await storePayload(store, keyring, plaintext);
    expect(second).toEqual({ hash: first.hash, written: false, bytesWritten: 0 });
    // Even a fresh encryption (different ciphertext) of the same content is not written again.
    const third = await store.put(first.hash, sealEnvelope(keyring, payloadContext(first.hash), plaintext, random));
    expect(third).toEqual({ hash: first.hash, written: false, bytesWritten: 0 });
    expect((await readFile(store.pathFor(first.hash))).equals(before)).toBe(true);
    expect(store.stats()).toEqual({ objectsWritten: 1, bytesWritten: first.bytesWritten });
  });

  it('writes concurrent puts of one hash once', async () => {
    const plaintext = Buffer.from('raced');
    const results = await Promise.all(Array.from({ length: 6 }, () => storePayload(store, keyring, plaintext)));
    expect(results.filter((result) => result.written)).toHaveLength(1);
    expect(store.stats().objectsWritten).toBe(1);
    expect(await walk(store.dir)).toHaveLength(1);
  });

  it('with deferDirectorySync, flush() makes the batch durable and put still writes crash-safely', async () => {
    const batched = new PayloadStore(join(dir.path, 'batched'), { deferDirectorySync: true });
    const results = await Promise.all(['a', 'b', 'c'].map((text) => storePayload(batched, keyring, Buffer.from(text))));
    expect(results.every((result) => result.written)).toBe(true);
    await batched.flush();
    await batched.flush();
    expect(await batched.list()).toEqual(results.map((result) => result.hash).sort());
    expect((await walk(batched.dir)).some((name) => name.includes('.tmp-'))).toBe(false);
  });

  it('verify authenticates and checks the address; reports tampering, moved objects and missing ones', async () => {
    const a = await storePayload(store, keyring, Buffer.from('content A'));
    const b = await storePayload(store, keyring, Buffer.from('content B'));
    expect(await store.verify(a.hash, keyring)).toEqual({ ok: true, hash: a.hash, keyId: 'k1', plaintextBytes: 9 });

    const envelope = await readFile(store.pathFor(b.hash));
    envelope[envelope.length - 20]! ^= 0x04;
    await writeFile(store.pathFor(b.hash), envelope);
    expect(await store.verify(b.hash, keyring)).toEqual({
      ok: false,
      hash: b.hash,
      reason: `cannot decrypt payload payload:${b.hash}: authentication failed (wrong key or tampered data)`,
    });

    // An object copied to another address does not authenticate there.
    await copyFile(store.pathFor(a.hash), store.pathFor(b.hash));
    expect((await store.verify(b.hash, keyring)).ok).toBe(false);

    const missing = 'f'.repeat(64);
    expect(await store.verify(missing, keyring)).toEqual({ ok: false, hash: missing, reason: 'missing' });
    const all = await store.verifyAll(keyring);
    expect(all.map((result) => result.ok)).toEqual([a.hash, b.hash].sort().map((hash) => hash === a.hash));
  });

  it('rejects malformed hashes before touching the filesystem', async () => {
    await expect(store.has('../../etc/passwd')).rejects.toThrow(/not a payload hash/);
    await expect(store.put('ABC', Buffer.alloc(1))).rejects.toThrow(/not a payload hash/);
  });

  it('removes unreferenced objects and stale temp files; dry run changes nothing', async () => {
    const keep = await storePayload(store, keyring, Buffer.from('referenced'));
    const orphan1 = await storePayload(store, keyring, Buffer.from('orphan one'));
    const orphan2 = await storePayload(store, keyring, Buffer.from('orphan two'));
    const fanout = join(store.objectsDir, keep.hash.slice(0, 2));
    const staleTemp = join(fanout, `.tmp-${keep.hash}.deadbeef0000`);
    const freshTemp = join(fanout, `.tmp-${keep.hash}.cafebabe0000`);
    await writeFile(staleTemp, 'partial');
    await writeFile(freshTemp, 'in progress');
    const now = Date.now();
    const longAgo = new Date(now - 3 * 3600_000);
    for (const path of [store.pathFor(orphan1.hash), store.pathFor(orphan2.hash), staleTemp]) await utimes(path, longAgo, longAgo);
    const orphanBytes = orphan1.bytesWritten + orphan2.bytesWritten;

    const dry = await store.removeUnreferenced([keep.hash], { dryRun: true, now });
    expect(dry).toEqual({
      dryRun: true,
      removed: [orphan1.hash, orphan2.hash].sort(),
      bytesFreed: orphanBytes,
      keptRecent: [],
      staleTempFiles: [staleTemp],
    });
    expect(await store.list()).toHaveLength(3);

    const real = await store.removeUnreferenced([keep.hash], { now });
    expect(real.removed).toEqual([orphan1.hash, orphan2.hash].sort());
    expect(await store.list()).toEqual([keep.hash]);
    const left = await walk(store.dir);
    expect(left).toContain(freshTemp.slice(store.dir.length + 1));
    expect(left).not.toContain(staleTemp.slice(store.dir.length + 1));
    // list() never reports temp files.
    expect(await store.list()).toEqual([keep.hash]);
  });

  it('keeps recent unreferenced objects (a running backup may not have committed its rows yet)', async () => {
    const fresh = await storePayload(store, keyring, Buffer.from('just written'));
    const report = await store.removeUnreferenced([]);
    expect(report.removed).toEqual([]);
    expect(report.keptRecent).toEqual([fresh.hash]);
    expect(await store.has(fresh.hash)).toBe(true);
  });

  it('rotates a payload to the active key and a new address', async () => {
    const plaintext = Buffer.from('rotate me');
    const old = await storePayload(store, keyring, plaintext);
    const rotatedRing = Keyring.fromKeys([
      { id: 'k2', key: KEY_2 },
      { id: 'k1', key: KEY_1 },
    ]);
    const rotated = await rotatePayload(store, rotatedRing, old.hash);
    expect(rotated.from).toBe(old.hash);
    expect(rotated.hash).toBe(rotatedRing.contentHash(plaintext));
    expect(rotated.hash).not.toBe(old.hash);
    expect(rotated.written).toBe(true);
    expect(inspectEnvelope(await store.get(rotated.hash)).keyId).toBe('k2');
    expect((await loadPayload(store, Keyring.fromKeys([{ id: 'k2', key: KEY_2 }]), rotated.hash)).equals(plaintext)).toBe(true);
    expect(await store.verify(rotated.hash, rotatedRing)).toMatchObject({ ok: true, keyId: 'k2' });
    expect(await rotatePayload(store, rotatedRing, rotated.hash)).toEqual({ from: rotated.hash, hash: rotated.hash, written: false, bytesWritten: 0 });
  });

  it('list() ignores foreign files', async () => {
    const put = await storePayload(store, keyring, Buffer.from('x'));
    await mkdir(join(store.objectsDir, 'zz'), { recursive: true });
    await writeFile(join(store.objectsDir, 'zz', 'README'), 'not an object');
    await writeFile(join(store.objectsDir, put.hash.slice(0, 2), 'notes.txt'), 'not an object');
    expect(await store.list()).toEqual([put.hash]);
  });
});

describe('PayloadStore with packs (backup runs)', () => {
  const seal = (text: string) => {
    const plaintext = Buffer.from(text);
    const hash = keyring.contentHash(plaintext);
    return { plaintext, hash, envelope: sealEnvelope(keyring, payloadContext(hash), plaintext, random) };
  };
  const longAgo = new Date(Date.now() - 2 * 60 * 60_000);

  it('keeps puts in memory until flush() writes them as one pack, which any store instance then reads', async () => {
    const packed = new PayloadStore(join(dir.path, 'store'), { packed: true });
    const objects = ['a: 1', 'b: 2', 'c: 3'].map(seal);
    for (const o of objects) expect(await packed.put(o.hash, o.envelope)).toEqual({ hash: o.hash, written: true, bytesWritten: o.envelope.length });
    expect(await packed.put(objects[0]!.hash, seal('a: 1').envelope)).toMatchObject({ written: false });
    expect(await walk(dir.path)).toEqual([]);
    expect(await packed.has(objects[1]!.hash)).toBe(true);
    expect((await loadPayload(packed, keyring, objects[1]!.hash)).equals(objects[1]!.plaintext)).toBe(true);

    expect((await packed.flush()).size).toBe(0);
    const files = await walk(packed.dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^packs\/[0-9a-f]{32}\.pack$/);
    expect((await readFile(join(packed.dir, files[0]!))).includes(objects[0]!.plaintext)).toBe(false);
    expect(packed.stats()).toEqual({ objectsWritten: 3, bytesWritten: objects.reduce((sum, o) => sum + o.envelope.length, 0) });

    const reader = new PayloadStore(join(dir.path, 'store'));
    expect(await reader.list()).toEqual(objects.map((o) => o.hash).sort());
    for (const o of objects) {
      expect(await reader.has(o.hash)).toBe(true);
      expect((await loadPayload(reader, keyring, o.hash)).equals(o.plaintext)).toBe(true);
      expect(await reader.verify(o.hash, keyring)).toMatchObject({ ok: true, hash: o.hash });
      expect(await reader.locate(o.hash)).toMatchObject({ path: join(packed.dir, files[0]!), length: o.envelope.length });
    }
    // A later put of stored content writes nothing, loose or packed.
    expect(await reader.put(objects[2]!.hash, seal('c: 3').envelope)).toMatchObject({ written: false });
  });

  it('writes a pack early once the open one reaches packTargetBytes', async () => {
    const packed = new PayloadStore(join(dir.path, 'store'), { packed: true, packTargetBytes: 1000 });
    const big = (n: number) => seal(`${n}:${'x'.repeat(600)}`);
    await packed.put(big(1).hash, big(1).envelope);
    expect(await walk(dir.path)).toEqual([]);
    const second = big(2);
    await packed.put(second.hash, second.envelope);
    expect(await walk(packed.dir)).toHaveLength(1);
    await packed.put(big(3).hash, big(3).envelope);
    await packed.flush();
    expect(await walk(packed.dir)).toHaveLength(2);
    expect(await new PayloadStore(packed.dir).list()).toHaveLength(3);
  });

  it('flush() waits for a pack that a put started writing early, so nothing it reports durable is still in flight', async () => {
    const packed = new PayloadStore(join(dir.path, 'store'), { packed: true, packTargetBytes: 1000 });
    const [x, y] = [`x:${'x'.repeat(600)}`, `y:${'y'.repeat(600)}`].map(seal);
    await packed.put(x!.hash, x!.envelope);
    const early = packed.put(y!.hash, y!.envelope); // crosses packTargetBytes: starts writing a pack of x and y
    await new Promise((resolve) => setImmediate(resolve));
    expect((await packed.flush()).size).toBe(0);
    const reader = new PayloadStore(packed.dir);
    expect(await reader.has(x!.hash)).toBe(true);
    expect(await reader.has(y!.hash)).toBe(true);
    await early;
  });

  it('reports every object of a pack that could not be written, so no row references it', async () => {
    const packed = new PayloadStore(join(dir.path, 'store'), { packed: true });
    await mkdir(packed.dir, { recursive: true });
    await writeFile(join(packed.dir, 'packs'), 'a file where the packs directory belongs');
    const objects = ['x', 'y'].map(seal);
    for (const o of objects) await packed.put(o.hash, o.envelope);
    const failed = await packed.flush();
    expect([...failed.keys()].sort()).toEqual(objects.map((o) => o.hash).sort());
    expect(failed.get(objects[0]!.hash)).toMatch(/^making the payload durable failed \((ENOTDIR|EEXIST)\)$/);
    expect(packed.stats()).toEqual({ objectsWritten: 0, bytesWritten: 0 });
    expect(await packed.has(objects[0]!.hash)).toBe(false);
  });

  it('cleanup drops unreferenced packed objects: repacks what is still referenced, removes empty packs, keeps young ones', async () => {
    const packed = new PayloadStore(join(dir.path, 'store'), { packed: true });
    const [keep, drop1, drop2] = ['keep', 'drop 1', 'drop 2'].map(seal);
    for (const o of [keep!, drop1!, drop2!]) await packed.put(o.hash, o.envelope);
    await packed.flush();
    const [oldPack] = await walk(packed.dir);
    const oldPath = join(packed.dir, oldPack!);
    const cleaner = new PayloadStore(packed.dir);

    expect(await cleaner.removeUnreferenced([keep!.hash])).toMatchObject({ removed: [], keptRecent: [drop1!.hash, drop2!.hash].sort() });
    await utimes(oldPath, longAgo, longAgo);
    const dry = await cleaner.removeUnreferenced([keep!.hash], { dryRun: true });
    expect(dry.removed).toEqual([drop1!.hash, drop2!.hash].sort());
    expect(await walk(packed.dir)).toEqual([oldPack]);

    const report = await cleaner.removeUnreferenced([keep!.hash]);
    expect(report.removed).toEqual([drop1!.hash, drop2!.hash].sort());
    expect(report.bytesFreed).toBeGreaterThanOrEqual(drop1!.envelope.length + drop2!.envelope.length);
    const after = await walk(packed.dir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(oldPack);
    expect(await cleaner.list()).toEqual([keep!.hash]);
    const fresh = new PayloadStore(packed.dir);
    expect(await fresh.list()).toEqual([keep!.hash]);
    expect((await loadPayload(fresh, keyring, keep!.hash)).equals(keep!.plaintext)).toBe(true);

    await utimes(join(packed.dir, after[0]!), longAgo, longAgo);
    expect((await fresh.removeUnreferenced([])).removed).toEqual([keep!.hash]);
    expect(await walk(packed.dir)).toEqual([]);
  });

  it('a long-lived reader finds packs another instance wrote, or repacked, after it read the indexes', async () => {
    const reader = new PayloadStore(join(dir.path, 'store'));
    const [early, late, dropped] = ['early', 'late', 'dropped'].map(seal);
    const writer = new PayloadStore(reader.dir, { packed: true });
    await writer.put(early!.hash, early!.envelope);
    await writer.put(dropped!.hash, dropped!.envelope);
    await writer.flush();
    expect(await reader.list()).toEqual([early!.hash, dropped!.hash].sort());
    await writer.put(late!.hash, late!.envelope);
    await writer.flush();
    expect((await loadPayload(reader, keyring, late!.hash)).equals(late!.plaintext)).toBe(true);
    // Another instance repacks the first pack (one object dropped): the reader follows the kept one to its new pack.
    for (const f of await walk(reader.dir)) await utimes(join(reader.dir, f), longAgo, longAgo);
    await new PayloadStore(reader.dir).removeUnreferenced([early!.hash, late!.hash]);
    expect((await loadPayload(reader, keyring, early!.hash)).equals(early!.plaintext)).toBe(true);
    await expect(reader.get(dropped!.hash)).rejects.toThrow(`payload ${dropped!.hash} is missing from ${reader.dir}`);
    expect(await reader.verify(dropped!.hash, keyring)).toEqual({ ok: false, hash: dropped!.hash, reason: 'missing' });
  });

  it('a read that misses re-reads only the packs the reader has not seen, so missing objects do not cost O(packs) each', async () => {
    const reader = new PayloadStore(join(dir.path, 'store'));
    const writer = new PayloadStore(reader.dir, { packed: true });
    const daily = Array.from({ length: 20 }, (_, i) => seal(`day ${i}`));
    for (const o of daily) {
      await writer.put(o.hash, o.envelope);
      await writer.flush();
    }
    expect(await reader.list()).toHaveLength(20);
    expect(reader.packIndexReads()).toBe(20);
    // A damaged store: many objects the rows name are gone. Each miss looks at the disk again, but reads no index.
    for (let i = 0; i < 50; i++) expect(await reader.verify(seal(`gone ${i}`).hash, keyring)).toMatchObject({ ok: false, reason: 'missing' });
    expect(reader.packIndexReads()).toBe(20);
    // A pack written meanwhile by another instance is read once, when a read misses.
    const late = seal('late');
    await writer.put(late.hash, late.envelope);
    await writer.flush();
    expect((await loadPayload(reader, keyring, late.hash)).equals(late.plaintext)).toBe(true);
    expect(reader.packIndexReads()).toBe(21);
    expect(await reader.list()).toHaveLength(21);
    expect(reader.packIndexReads()).toBe(21);
  });

  it('verify reports a damaged packed object alone, and a pack whose index is unreadable', async () => {
    const packed = new PayloadStore(join(dir.path, 'store'), { packed: true });
    const [good, bad] = ['good', 'bad'].map(seal);
    for (const o of [good!, bad!]) await packed.put(o.hash, o.envelope);
    await packed.flush();
    const at = (await new PayloadStore(packed.dir).locate(bad!.hash))!;
    const bytes = await readFile(at.path);
    bytes[at.offset + at.length - 1]! ^= 0xff;
    await writeFile(at.path, bytes);
    const reader = new PayloadStore(packed.dir);
    expect(await reader.verify(good!.hash, keyring)).toMatchObject({ ok: true });
    expect(await reader.verify(bad!.hash, keyring)).toMatchObject({ ok: false, hash: bad!.hash });

    await writeFile(at.path, bytes.subarray(0, bytes.length - 3));
    const truncated = new PayloadStore(packed.dir);
    expect(await truncated.verify(good!.hash, keyring)).toEqual({ ok: false, hash: good!.hash, reason: 'missing' });
    expect([...(await truncated.unreadablePacks()).entries()]).toEqual([[at.path, `${at.path}: no pack trailer`]]);

    // Once the pack reads again (a transient error, EMFILE or EIO, clears up), a fresh look at the disk forgets the note.
    await writeFile(at.path, bytes);
    expect(await truncated.list()).toEqual([good!.hash, bad!.hash].sort());
    expect((await truncated.unreadablePacks()).size).toBe(0);
    expect(await truncated.verify(good!.hash, keyring)).toMatchObject({ ok: true });
  });
});
