/**
 * Content-addressed store of encrypted payloads on the local filesystem.
 *
 * Layout: `<dir>/objects/<first 2 hex>/<64-hex keyed hash of the plaintext>`, each file one envelope sealed with
 * context `payload:<hash>` (see domain/config-backup/contexts.ts). Ciphertext differs on every encryption, so
 * dedupe is decided by the name (the keyed hash) and `put` of an existing hash writes nothing.
 *
 * Writes are crash-safe: temp file in the same directory, fsync, read-back, atomic rename, directory fsync (or,
 * with `deferDirectorySync`, one batched fsync per touched directory in `flush()`). With `packed` (backup runs), new
 * objects are not files of their own: `put` keeps them in memory and `flush()` writes them as one pack file
 * (pack-file.ts; `<dir>/packs/<random id>.pack`) the same crash-safe way, so 2,000 payloads cost one file, one fsync
 * and one rename instead of 2,000 of each (BENCHMARKS.md, "Configuration backups"). Reads, verification, listing and
 * cleanup see loose objects and packed ones alike, so stores written before packs existed keep working. A crash can
 * leave only stale temp files or objects no metadata row references yet; `removeUnreferenced` cleans both. Callers
 * commit metadata rows only after `put` (and `flush`, when deferring) resolved, and not for the objects `flush`
 * reports failed.
 *
 * Concurrency: puts of the same hash inside one process share one write. Across processes a rename may replace an
 * object with an equivalent one (same plaintext, same key); overlapping runs should still be prevented (advisory
 * lock) by the caller.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pMap from 'p-map';
import { payloadContext } from '../../../domain/config-backup/contexts.js';
import { inspectEnvelope, openEnvelope, type Keyring } from '../../../domain/config-backup/crypto.js';
import { commitReplacing, DirectorySyncer, TEMP_PREFIX, writeSyncedTempFile } from './durable-fs.js';
import { encodePack, PACK_SUFFIX, readPackedObject, readPackedObjects, readPackIndex, type PackedObject } from './pack-file.js';

export const DEFAULT_PAYLOAD_DIR = '.data/config-backups';
const HASH_PATTERN = /^[0-9a-f]{64}$/;
const FANOUT_PATTERN = /^[0-9a-f]{2}$/;

export interface PutResult {
  hash: string;
  /** False when the object already existed (nothing written). */
  written: boolean;
  /** Envelope bytes written by this call (0 when deduplicated). */
  bytesWritten: number;
}

export type VerifyResult = { ok: true; hash: string; keyId: string; plaintextBytes: number } | { ok: false; hash: string; reason: string };

export interface CleanupOptions {
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
  /**
   * Objects modified within this window are kept even when unreferenced: a running backup may have stored them
   * without having committed its metadata rows yet. Default 15 minutes.
   */
  graceMs?: number;
  /** Temp files older than this are leftovers of a crash and are removed. Default 1 hour. */
  staleTempAgeMs?: number;
  /** Clock for the age checks (default `Date.now()`). */
  now?: number;
}

export interface CleanupReport {
  dryRun: boolean;
  removed: string[];
  bytesFreed: number;
  /** Unreferenced but younger than `graceMs`. */
  keptRecent: string[];
  staleTempFiles: string[];
}

export interface PayloadStoreOptions {
  /**
   * Batch the directory fsyncs of new objects into `flush()` instead of doing them inside every `put` (file data is
   * still fsynced per object before its rename). For big runs: put everything, `flush()`, then commit the rows.
   */
  deferDirectorySync?: boolean;
  /**
   * Collect new objects into pack files instead of one file each (for backup runs): `put` keeps the envelope in
   * memory (bounded: a pack is written early once `PACK_TARGET_BYTES` are open) and `flush()` writes the open pack
   * durably (implies `deferDirectorySync`). Commit no row that references an object `flush` reported failed.
   */
  packed?: boolean;
  /** Open-pack bytes at which `put` writes the pack early (default `PACK_TARGET_BYTES`). */
  packTargetBytes?: number;
}

/** Where a packed object's envelope lies. */
interface PackLocation {
  path: string;
  offset: number;
  length: number;
}

/** Open-pack bytes that make `put` write the pack before `flush()`: bounds a run's memory whatever its files' sizes. */
export const PACK_TARGET_BYTES = 64 * 1024 * 1024;

/**
 * Pack indexes read at once. A store gains a few packs a day, so after a year it holds hundreds: opening them all
 * at once ran a process with a low descriptor limit out of them (EMFILE), and every object in a pack it could not
 * open then looked missing.
 */
const PACK_INDEX_READS = 16;

export interface StoreCounters {
  objectsWritten: number;
  bytesWritten: number;
}

export class PayloadStore {
  readonly dir: string;
  readonly objectsDir: string;
  readonly packsDir: string;
  private readonly syncer = new DirectorySyncer();
  private readonly inFlight = new Map<string, Promise<PutResult>>();
  private readonly readyDirs = new Set<string>();
  private readonly index = new Map<string, Promise<Set<string>>>();
  /** The fan-out directories that exist (one readdir of `objects/`). */
  private readonly fanouts = new Once(async () => new Set(await readdirOrEmpty(this.objectsDir)));
  private readonly dirtyDirs = new Set<string>();
  private readonly deferDirectorySync: boolean;
  private readonly failedObjects = new Map<string, string>();
  private counters: StoreCounters = { objectsWritten: 0, bytesWritten: 0 };
  private readonly packed: boolean;
  private readonly packTargetBytes: number;
  /** Every pack's objects, read once per instance and then kept up to date by its own writes (as the loose index). */
  private readonly packs = new Once(async () => this.loadPackIndexes(await this.packNamesOnDisk(), new Map()));
  /**
   * Packs whose index is in `packs`. Packs are immutable (a repack writes a new one), so a known pack is never read
   * again: a refresh reads only the packs that appeared since, and forgets the ones that are gone.
   */
  private readonly knownPacks = new Set<string>();
  private indexReads = 0;
  /** A refresh in progress, shared by every caller that misses meanwhile (verify runs 8 reads at once). */
  private refreshing: Promise<Map<string, PackLocation>> | null = null;
  private readonly unreadable = new Map<string, string>();
  /** Envelopes `put` but not yet in a durable pack (open, or being written). */
  private readonly unsealed = new Map<string, Uint8Array>();
  private openPack: string[] = [];
  private openPackBytes = 0;
  /** Packs being written (`writeOpenPack` never rejects). */
  private readonly sealing = new Set<Promise<void>>();

  /** `dir` is the store root, e.g. `DEFAULT_PAYLOAD_DIR` resolved by the caller. */
  constructor(dir: string, options: PayloadStoreOptions = {}) {
    this.dir = dir;
    this.objectsDir = join(dir, 'objects');
    this.packsDir = join(dir, 'packs');
    this.packed = options.packed ?? false;
    this.packTargetBytes = options.packTargetBytes ?? PACK_TARGET_BYTES;
    this.deferDirectorySync = this.packed || (options.deferDirectorySync ?? false);
  }

  pathFor(hash: string): string {
    assertHash(hash);
    return join(this.objectsDir, hash.slice(0, 2), hash);
  }

  /**
   * Whether an object exists. Answered from the pack indexes (read once) and a per-directory listing loaded once per
   * fan-out directory, both kept up to date by this instance's own puts and removals: 2,000 lookups cost at most 256
   * readdirs instead of 2,000 stats (most of them failing, which is the slow path in Node). Objects deleted behind
   * this instance's back are not noticed, which is why cleanup must not run concurrently with a backup (hold the
   * same advisory lock).
   */
  async has(hash: string): Promise<boolean> {
    if (this.unsealed.has(hash) || (await this.packs.get()).has(hash)) return true;
    return (await this.fanoutIndex(hash.slice(0, 2), hash)).has(hash);
  }

  /** Stores an envelope under `hash` unless it is already there; reads it back before reporting success. */
  async put(hash: string, envelope: Uint8Array): Promise<PutResult> {
    assertHash(hash);
    if (this.packed) return this.putPacked(hash, envelope);
    const existing = this.inFlight.get(hash);
    if (existing) {
      await existing;
      return { hash, written: false, bytesWritten: 0 };
    }
    // Registered before the first await, so a concurrent put of the same hash always finds it.
    const attempt = this.write(hash, envelope).finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, attempt);
    return attempt;
  }

  /** The stored envelope. Throws when it is missing. */
  async get(hash: string): Promise<Buffer> {
    try {
      return await this.readEnvelope(hash);
    } catch (error) {
      if (isMissing(error)) throw new Error(`payload ${hash} is missing from ${this.dir}`);
      throw error;
    }
  }

  /**
   * Re-reads an object, authenticates it and checks that its plaintext still hashes to its name (under the key
   * that sealed it). Never throws for a bad object: the reason is in the result.
   */
  async verify(hash: string, keyring: Keyring, context: string = payloadContext(hash)): Promise<VerifyResult> {
    let envelope: Buffer;
    try {
      envelope = await this.readEnvelope(hash);
    } catch (error) {
      return { ok: false, hash, reason: isMissing(error) ? 'missing' : `unreadable: ${(error as Error).message}` };
    }
    try {
      const { keyId } = inspectEnvelope(envelope, context);
      const plaintext = openEnvelope(keyring, envelope, context);
      if (keyring.contentHash(plaintext, keyId) !== hash) {
        return { ok: false, hash, reason: 'content does not match its address (object renamed or corrupted before encryption)' };
      }
      return { ok: true, hash, keyId, plaintextBytes: plaintext.length };
    } catch (error) {
      return { ok: false, hash, reason: (error as Error).message };
    }
  }

  /** Verifies many objects (all by default) with bounded parallelism; results in input order. */
  async verifyAll(keyring: Keyring, hashes?: readonly string[], concurrency = 8): Promise<VerifyResult[]> {
    const targets = hashes ?? (await this.list());
    return pMap(targets, (hash) => this.verify(hash, keyring), { concurrency: Math.max(1, concurrency) });
  }

  /** All stored hashes (loose and packed), sorted. Temp files and foreign names are ignored. */
  async list(): Promise<string[]> {
    // Looks at the disk every time, like the fan-out directories below: a listing sees packs other processes wrote or
    // removed (a pack it has already read is not read again: packs never change once written).
    const hashes = new Set<string>((await this.refreshPacks()).keys());
    for (const fanout of await readdirOrEmpty(this.objectsDir)) {
      if (!FANOUT_PATTERN.test(fanout)) continue;
      for (const name of await readdirOrEmpty(join(this.objectsDir, fanout))) {
        if (HASH_PATTERN.test(name) && name.startsWith(fanout)) hashes.add(name);
      }
    }
    return [...hashes].sort();
  }

  /** Removes objects not in `referenced` (the cleanup pass for orphans) and stale temp files. */
  async removeUnreferenced(referenced: Iterable<string>, options: CleanupOptions = {}): Promise<CleanupReport> {
    const keepSet = new Set<string>();
    for (const hash of referenced) {
      assertHash(hash);
      keepSet.add(hash);
    }
    const dryRun = options.dryRun ?? false;
    const now = options.now ?? Date.now();
    const graceMs = options.graceMs ?? 15 * 60_000;
    const staleTempAgeMs = options.staleTempAgeMs ?? 60 * 60_000;
    const report: CleanupReport = { dryRun, removed: [], bytesFreed: 0, keptRecent: [], staleTempFiles: [] };
    const touched = new Set<string>();

    for (const fanout of await readdirOrEmpty(this.objectsDir)) {
      if (!FANOUT_PATTERN.test(fanout)) continue;
      const fanoutDir = join(this.objectsDir, fanout);
      for (const name of await readdirOrEmpty(fanoutDir)) {
        const path = join(fanoutDir, name);
        const isObject = HASH_PATTERN.test(name);
        if (!isObject && !name.startsWith(TEMP_PREFIX)) continue;
        if (isObject && keepSet.has(name)) continue;
        const info = await stat(path).catch(() => null);
        if (!info) continue;
        const age = now - info.mtimeMs;
        if (!isObject) {
          if (age < staleTempAgeMs) continue;
          report.staleTempFiles.push(path);
        } else if (age < graceMs) {
          report.keptRecent.push(name);
          continue;
        } else {
          report.removed.push(name);
          report.bytesFreed += info.size;
        }
        if (!dryRun) {
          await unlink(path).catch((error: unknown) => {
            if (!isMissing(error)) throw error;
          });
          if (isObject) (await this.index.get(fanout))?.delete(name);
          touched.add(fanoutDir);
        }
      }
    }
    for (const name of await readdirOrEmpty(this.packsDir)) {
      const path = join(this.packsDir, name);
      if (name.startsWith(TEMP_PREFIX)) await this.removeStaleTemp(path, now - staleTempAgeMs, dryRun, report);
      else if (name.endsWith(PACK_SUFFIX) && (await this.cleanPack(path, keepSet, now - graceMs, dryRun, report))) touched.add(this.packsDir);
    }
    await Promise.all([...touched].map((dir) => this.syncer.sync(dir)));
    report.removed = [...new Set(report.removed)].sort();
    report.keptRecent.sort();
    return report;
  }

  /**
   * Drops a pack's unreferenced objects (older than the grace period): the whole pack when none is referenced,
   * otherwise the referenced ones are first written to a new pack, made durable, and only then is the old one
   * removed (a crash in between leaves duplicates, which are harmless). Returns whether the directory changed.
   * An unreadable pack is left alone: `verify` reports it.
   */
  private async cleanPack(path: string, keep: ReadonlySet<string>, olderThan: number, dryRun: boolean, report: CleanupReport): Promise<boolean> {
    let objects: PackedObject[];
    try {
      objects = await readPackIndex(path);
    } catch {
      return false;
    }
    const dropped = objects.filter((o) => !keep.has(o.hash));
    if (dropped.length === 0) return false;
    const info = await stat(path).catch(() => null);
    if (!info) return false;
    if (info.mtimeMs > olderThan) {
      report.keptRecent.push(...dropped.map((o) => o.hash));
      return false;
    }
    report.removed.push(...dropped.map((o) => o.hash));
    const kept = objects.filter((o) => keep.has(o.hash));
    if (dryRun) {
      report.bytesFreed += kept.length === 0 ? info.size : dropped.reduce((sum, o) => sum + o.length, 0);
      return false;
    }
    let keptBytes = 0;
    const located = await this.packs.get();
    if (kept.length > 0) {
      const envelopes = await readPackedObjects(path, kept);
      const repacked = await this.writePack(kept.map((o, i) => ({ hash: o.hash, envelope: envelopes[i]! })));
      await this.syncer.sync(this.packsDir);
      keptBytes = repacked.size;
      for (const o of repacked.index) located.set(o.hash, { path: repacked.path, offset: o.offset, length: o.length });
    }
    await unlink(path).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
    this.knownPacks.delete(path);
    for (const [hash, at] of located) if (at.path === path) located.delete(hash);
    report.bytesFreed += Math.max(0, info.size - keptBytes);
    return true;
  }

  private async removeStaleTemp(path: string, staleBefore: number, dryRun: boolean, report: CleanupReport): Promise<void> {
    const info = await stat(path).catch(() => null);
    if (!info || info.mtimeMs > staleBefore) return;
    report.staleTempFiles.push(path);
    if (!dryRun) await unlink(path).catch(() => undefined);
  }

  /** Totals written by this instance: proves that an unchanged re-run wrote 0 payload bytes. */
  stats(): StoreCounters {
    return { ...this.counters };
  }

  /**
   * Makes every object stored so far durable under its final name: writes the open pack (`packed`) and fsyncs the
   * directories whose new entries were deferred (`deferDirectorySync`). Call it before committing the metadata rows
   * that reference new payloads. Returns the objects that could not be made durable (hash -> reason, cumulative for
   * this instance): rows for them must not be committed; a later `put` of the same hash writes it again. A no-op for
   * a store that defers nothing.
   */
  async flush(): Promise<ReadonlyMap<string, string>> {
    await this.sealOpenPack();
    const dirs = [...this.dirtyDirs];
    this.dirtyDirs.clear();
    await Promise.all(dirs.map((dir) => this.syncer.sync(dir)));
    return this.failedObjects;
  }

  private async write(hash: string, envelope: Uint8Array): Promise<PutResult> {
    if (await this.has(hash)) return { hash, written: false, bytesWritten: 0 };
    const finalPath = this.pathFor(hash);
    await this.ensureDirectory(dirname(finalPath));
    // Temp file + fsync + read-back, then an atomic rename. Replacing an object that appeared meanwhile (another
    // process) is harmless: both envelopes hold the same plaintext under the same key.
    const tempPath = await writeSyncedTempFile(finalPath, envelope);
    await commitReplacing(tempPath, finalPath, (dir) => this.syncDirectory(dir));
    (await this.fanoutIndex(hash.slice(0, 2), hash)).add(hash);
    this.counters.objectsWritten += 1;
    this.counters.bytesWritten += envelope.length;
    return { hash, written: true, bytesWritten: envelope.length };
  }

  /** Creates `dir` (and parents) once per instance; new directories are entries in their parents, synced too. */
  private async ensureDirectory(dir: string): Promise<void> {
    if (this.readyDirs.has(dir)) return;
    const firstCreated = await mkdir(dir, { recursive: true });
    if (firstCreated !== undefined) {
      for (let created = dir; created !== dirname(firstCreated); created = dirname(created)) await this.syncDirectory(dirname(created));
    }
    this.readyDirs.add(dir);
  }

  /** Where an object's envelope is stored (diagnostics and tests); null when it is not stored or not yet durable. */
  async locate(hash: string): Promise<{ path: string; offset: number; length: number } | null> {
    assertHash(hash);
    const packed = (await this.packs.get()).get(hash);
    if (packed) return { ...packed };
    const info = await stat(this.pathFor(hash)).catch(() => null);
    return info?.isFile() ? { path: this.pathFor(hash), offset: 0, length: info.size } : null;
  }

  /** Pack files whose index could not be read (path -> reason): their objects count as missing. */
  async unreadablePacks(): Promise<ReadonlyMap<string, string>> {
    await this.packs.get();
    return this.unreadable;
  }

  /** Pack indexes this instance has read from disk (diagnostics: a refresh reads only packs it has not seen). */
  packIndexReads(): number {
    return this.indexReads;
  }

  private async putPacked(hash: string, envelope: Uint8Array): Promise<PutResult> {
    // Checked again after the await: a concurrent put of the same hash may have added it meanwhile.
    if ((await this.has(hash)) || this.unsealed.has(hash)) return { hash, written: false, bytesWritten: 0 };
    this.unsealed.set(hash, envelope);
    this.openPack.push(hash);
    this.openPackBytes += envelope.length;
    this.failedObjects.delete(hash);
    this.counters.objectsWritten += 1;
    this.counters.bytesWritten += envelope.length;
    if (this.openPackBytes >= this.packTargetBytes) await this.sealOpenPack();
    return { hash, written: true, bytesWritten: envelope.length };
  }

  /**
   * Writes the open pack durably; a failure marks its objects failed (see `flush`) instead of throwing. Resolves
   * once every pack being written (also those a `put` started early) is settled, so `flush` never returns while
   * an object it reports durable is still on its way to disk.
   */
  private async sealOpenPack(): Promise<void> {
    const hashes = this.openPack;
    this.openPack = [];
    this.openPackBytes = 0;
    if (hashes.length > 0) {
      const writing = this.writeOpenPack(hashes);
      this.sealing.add(writing);
      void writing.finally(() => this.sealing.delete(writing));
    }
    await Promise.all(this.sealing);
  }

  private async writeOpenPack(hashes: readonly string[]): Promise<void> {
    const objects = hashes.map((hash) => ({ hash, envelope: this.unsealed.get(hash)! }));
    try {
      const { path, index } = await this.writePack(objects);
      const located = await this.packs.get();
      for (const o of index) if (!located.has(o.hash)) located.set(o.hash, { path, offset: o.offset, length: o.length });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      for (const { hash, envelope } of objects) {
        this.failedObjects.set(hash, `making the payload durable failed (${code ?? (error as Error).name})`);
        this.counters.objectsWritten -= 1;
        this.counters.bytesWritten -= envelope.length;
      }
    } finally {
      for (const hash of hashes) this.unsealed.delete(hash);
    }
  }

  /** A new pack of `objects`: temp file, fsync, read-back, rename; its directory is synced now or at `flush()`. */
  private async writePack(objects: ReadonlyArray<{ hash: string; envelope: Uint8Array }>): Promise<{ path: string; index: PackedObject[]; size: number }> {
    await this.ensureDirectory(this.packsDir);
    const { bytes, index } = encodePack(objects);
    const path = join(this.packsDir, `${randomBytes(16).toString('hex')}${PACK_SUFFIX}`);
    const tempPath = await writeSyncedTempFile(path, bytes);
    await commitReplacing(tempPath, path, (dir) => this.syncDirectory(dir));
    this.knownPacks.add(path);
    return { path, index, size: bytes.length };
  }

  /**
   * The stored envelope: written but not yet durable, packed, or loose. An object this instance's pack index does
   * not know (written, or repacked, by another process since it was read) is looked up again on disk first.
   */
  private async readEnvelope(hash: string): Promise<Buffer> {
    assertHash(hash);
    const unsealed = this.unsealed.get(hash);
    if (unsealed) return Buffer.from(unsealed);
    const packed = (await this.packs.get()).get(hash);
    if (packed) {
      try {
        return await readPackedObject(packed.path, packed.offset, packed.length);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    } else {
      try {
        return await readFile(this.pathFor(hash));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    const again = (await this.refreshPacks()).get(hash);
    if (!again || (packed && again.path === packed.path)) throw Object.assign(new Error(`payload ${hash} is missing`), { code: 'ENOENT' });
    return readPackedObject(again.path, again.offset, again.length);
  }

  /**
   * Brings this instance's pack index up to date with the disk: reads the indexes of packs it has not seen (and
   * retries unreadable ones), drops packs that are gone. One `readdir` when nothing changed, so a read that misses
   * costs O(new packs), not O(all packs).
   */
  private refreshPacks(): Promise<Map<string, PackLocation>> {
    if (!this.packs.loaded()) return this.packs.get();
    this.refreshing ??= this.syncPacksWithDisk().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async syncPacksWithDisk(): Promise<Map<string, PackLocation>> {
    const located = await this.packs.get();
    // Only packs known before the listing can be gone: one this instance writes meanwhile is missing from it.
    const before = new Set(this.knownPacks);
    const onDisk = new Set(await this.packNamesOnDisk());
    const gone = new Set([...before].filter((path) => !onDisk.has(path)));
    for (const [hash, at] of located) if (gone.has(at.path)) located.delete(hash);
    for (const path of gone) this.knownPacks.delete(path);
    for (const path of this.unreadable.keys()) if (!onDisk.has(path)) this.unreadable.delete(path);
    return this.loadPackIndexes(
      [...onDisk].filter((path) => !this.knownPacks.has(path)),
      located,
    );
  }

  /** The pack files in `packs/` (temp files of packs being written are not packs yet), sorted. */
  private async packNamesOnDisk(): Promise<string[]> {
    return (await readdirOrEmpty(this.packsDir))
      .filter((name) => name.endsWith(PACK_SUFFIX) && !name.startsWith(TEMP_PREFIX))
      .sort()
      .map((name) => join(this.packsDir, name));
  }

  /**
   * Reads the indexes of `paths` (`PACK_INDEX_READS` at a time) into `located`; an object already located keeps its
   * place. A pack that cannot be read is noted (`unreadablePacks`), not fatal, and is tried again at the next
   * refresh; one that reads is no longer noted.
   */
  private async loadPackIndexes(paths: readonly string[], located: Map<string, PackLocation>): Promise<Map<string, PackLocation>> {
    const indexes = await pMap(
      paths,
      async (path) => {
        this.indexReads += 1;
        try {
          const objects = await readPackIndex(path);
          this.unreadable.delete(path);
          return { path, objects };
        } catch (error) {
          this.unreadable.set(path, (error as Error).message);
          return { path, objects: [] };
        }
      },
      { concurrency: PACK_INDEX_READS },
    );
    for (const { path, objects } of indexes) {
      if (!this.unreadable.has(path)) this.knownPacks.add(path);
      for (const o of objects) if (!located.has(o.hash)) located.set(o.hash, { path, offset: o.offset, length: o.length });
    }
    return located;
  }

  private fanoutIndex(fanout: string, hash: string): Promise<Set<string>> {
    assertHash(hash);
    let names = this.index.get(fanout);
    if (!names) {
      // Fan-out directories that do not exist are not listed (a failed readdir is Node's slow path): a store that
      // holds only packs costs one readdir here, not 256.
      names = this.fanouts
        .get()
        .then((fanouts) => (fanouts.has(fanout) ? readdirOrEmpty(join(this.objectsDir, fanout)) : []))
        .then((entries) => new Set(entries.filter((name) => HASH_PATTERN.test(name) && name.startsWith(fanout))));
      // A failed listing must not stick: drop it so the next call retries.
      names.catch(() => this.index.delete(fanout));
      this.index.set(fanout, names);
    }
    return names;
  }

  private syncDirectory(dir: string): Promise<void> {
    if (!this.deferDirectorySync) return this.syncer.sync(dir);
    this.dirtyDirs.add(dir);
    return Promise.resolve();
  }
}

function assertHash(hash: string): void {
  if (!HASH_PATTERN.test(hash)) throw new TypeError(`not a payload hash (64 lower-case hex chars): ${JSON.stringify(hash).slice(0, 80)}`);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    // A file where a directory belongs holds no objects either; writing there fails and says so.
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/** A value loaded once and shared by every caller; a failed load is not kept, so the next call loads again. */
class Once<T> {
  private value: Promise<T> | null = null;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.value) {
      const loading = this.load();
      this.value = loading;
      loading.catch(() => {
        if (this.value === loading) this.value = null;
      });
    }
    return this.value;
  }

  loaded(): boolean {
    return this.value !== null;
  }
}
