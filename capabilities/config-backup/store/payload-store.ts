/**
 * Content-addressed store of encrypted payloads on the local filesystem.
 *
 * Layout: `<dir>/objects/<first 2 hex>/<64-hex keyed hash of the plaintext>`, each file one envelope sealed with
 * context `payload:<hash>` (see domain/config-backup/contexts.ts). Ciphertext differs on every encryption, so
 * dedupe is decided by the name (the keyed hash) and `put` of an existing hash writes nothing.
 *
 * Writes are crash-safe: temp file in the same directory, fsync, read-back, atomic rename, directory fsync (or,
 * with `deferDirectorySync`, one batched fsync per touched directory in `flush()`). With `deferFileSync` as well,
 * `put` only writes and reads back the temp file, and `flush()` fsyncs every pending temp file at once, then renames
 * them and fsyncs their directories: an object gets its final name only once its bytes are on disk, as before, but
 * 2,000 objects cost one burst of concurrent fsyncs that the filesystem's journal commits together instead of
 * 2,000 journal commits one after another (BENCHMARKS.md, "Configuration backups"). A crash can leave only stale
 * temp files or objects no metadata row references yet; `removeUnreferenced` cleans both. Callers commit metadata
 * rows only after `put` (and `flush`, when deferring) resolved, and not for the objects `flush` reports failed.
 *
 * Concurrency: puts of the same hash inside one process share one write. Across processes a rename may replace an
 * object with an equivalent one (same plaintext, same key); overlapping runs should still be prevented (advisory
 * lock) by the caller.
 */
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { payloadContext } from '../../../domain/config-backup/contexts.js';
import { inspectEnvelope, openEnvelope, type Keyring } from '../../../domain/config-backup/crypto.js';
import { commitReplacing, DirectorySyncer, fsyncFile, TEMP_PREFIX, writeSyncedTempFile } from './durable-fs.js';

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
   * Also defer each new object's own fsync and rename to `flush()` (implies `deferDirectorySync`): `put` leaves the
   * object as a read-back temp file that `has()` already counts, `flush()` makes every pending one durable and
   * names it, and reports the ones it could not. Commit no row that references an object `flush` reported failed.
   */
  deferFileSync?: boolean;
}

/** An object written by `put` and waiting for `flush()` (deferred file sync). */
interface PendingObject {
  hash: string;
  tempPath: string;
  finalPath: string;
  bytes: number;
}

/** Objects at most this many at once in `flush()`: enough to keep the disk queue full, few file descriptors. */
const FLUSH_CONCURRENCY = 64;

export interface StoreCounters {
  objectsWritten: number;
  bytesWritten: number;
}

export class PayloadStore {
  readonly dir: string;
  readonly objectsDir: string;
  private readonly syncer = new DirectorySyncer();
  private readonly inFlight = new Map<string, Promise<PutResult>>();
  private readonly readyDirs = new Set<string>();
  private readonly index = new Map<string, Promise<Set<string>>>();
  private readonly dirtyDirs = new Set<string>();
  private readonly deferDirectorySync: boolean;
  private readonly deferFileSync: boolean;
  private pending: PendingObject[] = [];
  private readonly failedObjects = new Map<string, string>();
  private counters: StoreCounters = { objectsWritten: 0, bytesWritten: 0 };

  /** `dir` is the store root, e.g. `DEFAULT_PAYLOAD_DIR` resolved by the caller. */
  constructor(dir: string, options: PayloadStoreOptions = {}) {
    this.dir = dir;
    this.objectsDir = join(dir, 'objects');
    this.deferFileSync = options.deferFileSync ?? false;
    this.deferDirectorySync = this.deferFileSync || (options.deferDirectorySync ?? false);
  }

  pathFor(hash: string): string {
    assertHash(hash);
    return join(this.objectsDir, hash.slice(0, 2), hash);
  }

  /**
   * Whether an object exists. Answered from a per-directory listing loaded once per fan-out directory and kept up
   * to date by this instance's own puts and removals: 2,000 lookups cost at most 256 readdirs instead of 2,000
   * stats (most of them failing, which is the slow path in Node). Objects deleted behind this instance's back are
   * not noticed, which is why cleanup must not run concurrently with a backup (hold the same advisory lock).
   */
  async has(hash: string): Promise<boolean> {
    return (await this.fanoutIndex(hash.slice(0, 2), hash)).has(hash);
  }

  /** Stores an envelope under `hash` unless it is already there; reads it back before reporting success. */
  async put(hash: string, envelope: Uint8Array): Promise<PutResult> {
    assertHash(hash);
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
      return await readFile(this.pathFor(hash));
    } catch (error) {
      if (isMissing(error)) throw new Error(`payload ${hash} is missing from ${this.objectsDir}`);
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
      envelope = await readFile(this.pathFor(hash));
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
    const results = new Array<VerifyResult>(targets.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) {
        const index = next++;
        results[index] = await this.verify(targets[index]!, keyring);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker));
    return results;
  }

  /** All stored hashes, sorted. Temp files and foreign names are ignored. */
  async list(): Promise<string[]> {
    const hashes: string[] = [];
    for (const fanout of await readdirOrEmpty(this.objectsDir)) {
      if (!FANOUT_PATTERN.test(fanout)) continue;
      for (const name of await readdirOrEmpty(join(this.objectsDir, fanout))) {
        if (HASH_PATTERN.test(name) && name.startsWith(fanout)) hashes.push(name);
      }
    }
    return hashes.sort();
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
    await Promise.all([...touched].map((dir) => this.syncer.sync(dir)));
    report.removed.sort();
    return report;
  }

  /** Totals written by this instance: proves that an unchanged re-run wrote 0 payload bytes. */
  stats(): StoreCounters {
    return { ...this.counters };
  }

  /**
   * Makes every object stored so far durable under its final name. With `deferDirectorySync` only: fsyncs the
   * directories of the names committed so far. With `deferFileSync`: fsyncs every pending temp file, renames it to
   * its name and fsyncs the directories. Call it before committing the metadata rows that reference new payloads.
   * Returns the objects that could not be made durable (hash -> reason, cumulative for this instance): rows for
   * them must not be committed; a later `put` of the same hash writes it again. A no-op for a store that defers
   * nothing.
   */
  async flush(): Promise<ReadonlyMap<string, string>> {
    const pending = this.pending;
    this.pending = [];
    let next = 0;
    const settle = async (): Promise<void> => {
      while (next < pending.length) {
        const object = pending[next++]!;
        try {
          await fsyncFile(object.tempPath);
          await commitReplacing(object.tempPath, object.finalPath, (dir) => this.syncDirectory(dir));
        } catch (error) {
          await unlink(object.tempPath).catch(() => undefined);
          (await this.fanoutIndex(object.hash.slice(0, 2), object.hash)).delete(object.hash);
          this.counters.objectsWritten -= 1;
          this.counters.bytesWritten -= object.bytes;
          const code = (error as NodeJS.ErrnoException).code;
          this.failedObjects.set(object.hash, `making the payload durable failed (${code ?? (error as Error).name})`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, pending.length) }, settle));
    const dirs = [...this.dirtyDirs];
    this.dirtyDirs.clear();
    await Promise.all(dirs.map((dir) => this.syncer.sync(dir)));
    return this.failedObjects;
  }

  private async write(hash: string, envelope: Uint8Array): Promise<PutResult> {
    const finalPath = this.pathFor(hash);
    if (await this.has(hash)) return { hash, written: false, bytesWritten: 0 };
    const fanoutDir = join(this.objectsDir, hash.slice(0, 2));
    if (!this.readyDirs.has(fanoutDir)) {
      const firstCreated = await mkdir(fanoutDir, { recursive: true });
      if (firstCreated !== undefined) {
        // New directories are entries in their parents, which must reach the disk too.
        for (let dir = fanoutDir; dir !== dirname(firstCreated); dir = dirname(dir)) await this.syncDirectory(dirname(dir));
      }
      this.readyDirs.add(fanoutDir);
    }
    // Temp file + fsync + read-back, then an atomic rename. Replacing an object that appeared meanwhile (another
    // process) is harmless: both envelopes hold the same plaintext under the same key.
    const tempPath = await writeSyncedTempFile(finalPath, envelope, { sync: !this.deferFileSync });
    if (this.deferFileSync) {
      this.pending.push({ hash, tempPath, finalPath, bytes: envelope.length });
      this.failedObjects.delete(hash);
    } else {
      await commitReplacing(tempPath, finalPath, (dir) => this.syncDirectory(dir));
    }
    (await this.fanoutIndex(hash.slice(0, 2), hash)).add(hash);
    this.counters.objectsWritten += 1;
    this.counters.bytesWritten += envelope.length;
    return { hash, written: true, bytesWritten: envelope.length };
  }

  private fanoutIndex(fanout: string, hash: string): Promise<Set<string>> {
    assertHash(hash);
    let names = this.index.get(fanout);
    if (!names) {
      names = readdirOrEmpty(join(this.objectsDir, fanout)).then(
        (entries) => new Set(entries.filter((name) => HASH_PATTERN.test(name) && name.startsWith(fanout))),
      );
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
    if (isMissing(error)) return [];
    throw error;
  }
}
