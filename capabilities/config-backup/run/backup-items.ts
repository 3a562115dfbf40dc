/**
 * The work of one backup run, per kind of item: environment variables (one snapshot per prefix), configuration
 * files (in batches, parsed in worker threads) and application configs. Each step stores payloads first, makes them
 * durable (`store.flush()`), then commits its rows in one transaction that re-checks the run lock (fencing).
 *
 * Every step is idempotent per backup set: items the set already holds (a retried activity) are reported from
 * their rows instead of being backed up twice. Outcomes carry metadata only: names, statuses, reasons (paths and
 * causes, never content) and byte counts.
 */
import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import pMap from 'p-map';
import type pg from 'pg';
import { canonicalJson, prepareAppConfig } from '../../../domain/config-backup/app-config.js';
import { selectEnvVars } from '../../../domain/config-backup/env.js';
import { openFileMetadata, type FileMetadata } from '../../../domain/config-backup/file-metadata.js';
import { detectFormat } from '../../../domain/config-backup/formats.js';
import type { ConfigFormat } from '../../../domain/config-backup/types.js';
import type { AppConfigInput, BatchOutcome, ConfigItemType, ItemOutcome } from '../../../domain/config-backup/contract.js';
import {
  insertViewsAndItems,
  itemsInSet,
  latestItems,
  renewConfigBackupLock,
  type NewItem,
  type NewView,
  type PreviousItem,
} from '../../../db/repositories/config-backups.js';
import { inTransaction } from '../../../db/pool.js';
import { redactSecrets } from '../../../platform/redact.js';
import { storePayloadWithHash } from '../store/payloads.js';
import type { RunServices } from '../services.js';
import type { ViewPool } from './view-pool.js';
import { stageFileHere, type StageFileRequest } from './stage-file.js';
import { serializeView, type SerializedView } from './views.js';

export interface StepOptions {
  db: pg.Pool;
  setId: number;
  /** Lock holder (`<workflowId>#<runId>`); every commit checks it still holds the lock. */
  holder: string;
  leaseMs: number;
  services: RunServices;
}

/** One item ready to commit: its row and, when built anew, its view. */
export interface Prepared {
  item: NewItem;
  view: SerializedView | null;
}

/**
 * Payloads first (made durable), then the rows, in one transaction that proves the lock is still ours. An item
 * whose payload could not be made durable (the store's deferred fsync or rename failed) is committed as failed
 * instead, alone: the rest of the batch goes on. `prepared` is updated in place, so the caller reports what was
 * committed.
 */
async function commit(options: StepOptions, prepared: Prepared[]): Promise<Map<string, number>> {
  const failedObjects = await options.services.store.flush();
  if (failedObjects.size > 0) {
    for (const [index, p] of prepared.entries()) {
      const reason = p.item.contentHash && p.item.status !== 'failed' ? failedObjects.get(p.item.contentHash) : undefined;
      if (reason !== undefined) prepared[index] = storeFailure(p.item.type, p.item.name, reason);
    }
  }
  const views: NewView[] = [];
  for (const p of prepared) {
    if (p.view)
      views.push({
        hash: p.view.hash,
        kind: p.view.kind,
        format: p.view.format,
        hashKeyId: p.view.hashKeyId,
        profile: options.services.profile,
        json: p.view.json,
      });
  }
  return inTransaction(options.db, async (client) => {
    await renewConfigBackupLock(client, options.holder, options.leaseMs);
    return insertViewsAndItems(
      client,
      options.setId,
      views,
      prepared.map((p) => p.item),
    );
  });
}

function storeFailure(type: ConfigItemType, name: string, reason: string): Prepared {
  return { view: null, item: { type, name, status: 'failed', failureCode: 'store-error', failureReason: redactSecrets(`${name}: ${reason}`) } };
}

function outcomeOf(item: NewItem, ids: Map<string, number>): ItemOutcome {
  return {
    id: ids.get(`${item.type}:${item.name}`) ?? null,
    type: item.type,
    name: item.name,
    status: item.status,
    ...(item.failureReason ? { reason: item.failureReason } : {}),
    bytesWritten: item.payloadBytesWritten ?? 0,
  };
}

function totalsOf(items: ItemOutcome[], written: readonly NewItem[]): BatchOutcome {
  return {
    items,
    payloadsWritten: written.filter((i) => i.payloadWritten).length,
    payloadBytesWritten: written.reduce((sum, i) => sum + (i.payloadBytesWritten ?? 0), 0),
  };
}

/** Outcomes of items a retried step finds already committed in its set. */
async function alreadyDone(options: StepOptions, type: ConfigItemType): Promise<Map<string, ItemOutcome>> {
  const stored = await itemsInSet(options.db, options.setId, type);
  return new Map(
    [...stored].map(([name, s]) => [name, { id: s.id, type, name, status: s.status, ...(s.reason ? { reason: s.reason } : {}), bytesWritten: s.bytesWritten }]),
  );
}

/** An item's view columns: those of its new view, or, when none was built, of the previous item whose view it reuses. */
function viewColumns(
  view: SerializedView | null,
  reused: (PreviousItem & { viewHash: string }) | null,
): { viewHash: string; secretCount: number | null; warningCount: number | null } {
  if (view) return { viewHash: view.hash, secretCount: view.secretCount, warningCount: view.warningCount };
  if (!reused) throw new Error('no view was built and none is reused');
  return { viewHash: reused.viewHash, secretCount: reused.secretCount, warningCount: reused.warningCount };
}

/** Whether the previous snapshot's view can be reused for identical content (same marker key and redaction). */
function viewReusable(
  previous: PreviousItem | undefined,
  contentHash: string,
  format: string,
  services: RunServices,
): previous is PreviousItem & { viewHash: string } {
  return (
    previous !== undefined &&
    previous.contentHash === contentHash &&
    previous.format === format &&
    previous.viewHash !== null &&
    previous.viewKeyId === services.redactor.hashKeyId &&
    previous.viewProfile === services.profile
  );
}

/**
 * Stores one in-memory payload (env snapshot or app config) with its view; `unchanged` when its content equals the
 * item's previous snapshot and the payload is still in the store.
 */
async function storeDataItem(
  services: RunServices,
  type: 'env' | 'app',
  name: string,
  payload: Uint8Array,
  previous: PreviousItem | undefined,
  makeView: () => SerializedView,
  format: ConfigFormat,
): Promise<Prepared> {
  const contentHash = services.keyring.contentHash(payload);
  const put = await storePayloadWithHash(services.store, services.keyring, contentHash, payload);
  const reuse = viewReusable(previous, contentHash, format, services);
  const view = reuse ? null : makeView();
  const unchanged = previous?.contentHash === contentHash && !put.written;
  return {
    view,
    item: {
      type,
      name,
      status: unchanged ? 'unchanged' : 'backed_up',
      format,
      contentHash,
      keyId: services.keyring.activeKeyId,
      sizeBytes: payload.length,
      ...viewColumns(view, reuse ? previous : null),
      payloadWritten: put.written,
      payloadBytesWritten: put.bytesWritten,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Environment variables whose names start with `prefix`, as one item: an encrypted payload (canonical JSON of
 * name -> value) and a view in which sensitive values are markers. The backup key itself is never selected.
 */
export async function backupEnvironment(options: StepOptions & { prefix: string; env: Readonly<Record<string, string | undefined>> }): Promise<BatchOutcome> {
  const done = (await alreadyDone(options, 'env')).get(options.prefix);
  if (done) return { items: [done], payloadsWritten: 0, payloadBytesWritten: 0 };
  const { services } = options;
  const vars = Object.fromEntries(selectEnvVars(options.env, options.prefix).map((v) => [v.name, v.value]));
  const payload = Buffer.from(canonicalJson(vars), 'utf8');
  const previous = (await latestItems(options.db, 'env', [options.prefix])).get(options.prefix);
  const prepared = await storeDataItem(
    services,
    'env',
    options.prefix,
    payload,
    previous,
    () => serializeView(services.redactor.redactMap(vars, { format: 'env' })),
    'env',
  );
  const batch = [prepared];
  const ids = await commit(options, batch);
  return totalsOf([outcomeOf(batch[0]!.item, ids)], [batch[0]!.item]);
}

/** Application configs given as data; an app whose config cannot be encoded fails alone. */
export async function backupApps(options: StepOptions & { apps: readonly AppConfigInput[] }): Promise<BatchOutcome> {
  const done = await alreadyDone(options, 'app');
  const todo = options.apps.filter((app) => !done.has(app.name));
  const previous = await latestItems(
    options.db,
    'app',
    todo.map((app) => app.name),
  );
  const prepared: Prepared[] = [];
  for (const app of todo) {
    let prepare;
    try {
      prepare = prepareAppConfig(options.services.redactor, app.name, app.config, { encryptSensitive: app.encryptSensitive ?? true });
    } catch (error) {
      prepared.push({
        view: null,
        item: {
          type: 'app',
          name: app.name,
          status: 'failed',
          failureCode: 'invalid-config',
          failureReason: `app ${app.name}: ${redactSecrets((error as Error).message)}`,
        },
      });
      continue;
    }
    const view = prepare.view;
    prepared.push(await storeDataItem(options.services, 'app', app.name, prepare.payload, previous.get(app.name), () => serializeView(view), 'json'));
  }
  const ids = prepared.length > 0 ? await commit(options, prepared) : new Map<string, number>();
  const fresh = new Map(prepared.map((p) => [p.item.name, outcomeOf(p.item, ids)]));
  const items = options.apps.map((app) => done.get(app.name) ?? fresh.get(app.name)!);
  return totalsOf(
    items,
    prepared.map((p) => p.item),
  );
}

// ---------------------------------------------------------------------------------------------------------------

export interface FileStepOptions extends StepOptions {
  paths: readonly string[];
  /** Glob patterns that matched nothing: recorded as failed items so the report names them. */
  unmatchedPatterns?: readonly string[];
  /** Parse threads; null parses on the calling thread (small batches, where starting threads costs more). */
  pool: ViewPool | null;
  /** Files in flight at once (reads, encryption, payload writes). */
  concurrency?: number;
  /** Commit rows once this many bytes of new views are pending, so huge files do not pile up in memory. */
  commitAfterViewBytes?: number;
  /** Called after each file (the activity heartbeats and renews the lock lease from here). */
  onProgress?: (done: number, total: number) => Promise<void> | void;
  signal?: AbortSignal;
}

const SAME_METADATA: readonly (keyof FileMetadata)[] = ['size', 'mode', 'uid', 'gid', 'mtimeMs'];

/** Configuration files: each one independent (a bad file fails alone with its path and reason). */
export async function backupFiles(options: FileStepOptions): Promise<BatchOutcome> {
  const { services } = options;
  const done = await alreadyDone(options, 'file');
  const todo = options.paths.filter((path) => !done.has(path));
  const unmatched = (options.unmatchedPatterns ?? []).filter((pattern) => !done.has(pattern));
  const previous = await latestItems(options.db, 'file', todo);
  const fresh = new Map<string, ItemOutcome>();
  const committed: NewItem[] = [];

  let pending: Prepared[] = unmatched.map((pattern) => ({
    view: null,
    item: { type: 'file' as const, name: pattern, status: 'failed' as const, failureCode: 'no-match', failureReason: `no file matches ${pattern}` },
  }));
  let pendingViewBytes = 0;
  let commitChain: Promise<void> = Promise.resolve();
  const flushPending = (): Promise<void> => {
    // Rows in name order, so item IDs follow paths whatever order the files finished in.
    const batch = pending.sort((x, y) => (x.item.name < y.item.name ? -1 : x.item.name > y.item.name ? 1 : 0));
    pending = [];
    pendingViewBytes = 0;
    commitChain = commitChain.then(async () => {
      if (batch.length === 0) return;
      const ids = await commit(options, batch);
      for (const p of batch) {
        fresh.set(p.item.name, outcomeOf(p.item, ids));
        committed.push(p.item);
      }
    });
    // Whoever awaits it sees a failure; a failure nobody awaits any more (a file step already failed) must not
    // become an unhandled rejection that takes the worker down.
    commitChain.catch(() => undefined);
    return commitChain;
  };

  // Commits overlap with the files still being read and parsed; a few MB per commit keeps their count small.
  const limit = options.commitAfterViewBytes ?? 8 * 1024 * 1024;
  let finished = 0;
  await pMap(
    todo,
    async (path) => {
      options.signal?.throwIfAborted();
      const prepared = await backupOneFile(path, services, previous.get(path), options.pool);
      pending.push(prepared);
      pendingViewBytes += prepared.view?.json.length ?? 0;
      if (pendingViewBytes >= limit) await flushPending();
      finished++;
      await options.onProgress?.(finished, todo.length);
    },
    { concurrency: Math.max(1, options.concurrency ?? 16) },
  );
  await flushPending();

  const items = [...unmatched, ...options.paths].map((name) => done.get(name) ?? fresh.get(name)!);
  return totalsOf(items, committed);
}

/**
 * One configuration file, end to end and on its own: change token, read, hash, store the encrypted bytes
 * (deduplicated), seal the attributes, build the redacted view (in `pool` when given). A failure is returned as a
 * failed item, never thrown, so one bad file fails alone. Exported for its unit test; runs call `backupFiles`.
 */
export async function backupOneFile(path: string, services: RunServices, previous: PreviousItem | undefined, pool: ViewPool | null): Promise<Prepared> {
  const failed = (code: string, reason: string): Prepared => ({
    view: null,
    item: { type: 'file', name: path, status: 'failed', failureCode: code, failureReason: redactSecrets(reason) },
  });
  const { keyring } = services;
  const format = detectFormat(path);
  // Taken before reading: if the file changes after this, the next run sees another token and reads it again.
  const info = await stat(path, { bigint: true }).catch(() => null);
  const changeToken = info?.isFile() ? fileChangeToken(services, path, info) : null;
  if (
    changeToken !== null &&
    previous?.changeToken === changeToken &&
    previous.metadataEnvelope !== null &&
    viewReusable(previous, previous.contentHash, format, services) &&
    (await services.store.has(previous.contentHash))
  ) {
    return {
      view: null,
      item: {
        type: 'file',
        name: path,
        status: 'unchanged',
        format,
        contentHash: previous.contentHash,
        keyId: previous.keyId,
        sizeBytes: previous.sizeBytes,
        metadataEnvelope: previous.metadataEnvelope,
        changeToken,
        viewHash: previous.viewHash,
        secretCount: previous.secretCount,
        warningCount: previous.warningCount,
        payloadWritten: false,
        payloadBytesWritten: 0,
      },
    };
  }
  const reusable = previous && viewReusable(previous, previous.contentHash, format, services) ? previous : null;
  const request: StageFileRequest = {
    path,
    format,
    storedHash: previous && (await services.store.has(previous.contentHash)) ? previous.contentHash : null,
    reuseViewForHash: reusable?.contentHash ?? null,
  };
  // A parse thread that died leaves the file to this thread rather than failing it.
  const staged = (pool && (await pool.stageFile(request).catch(() => null))) || (await stageFileHere(request, keyring, services.redactor));
  if (!staged.ok) return failed(staged.code, staged.reason);
  const { contentHash, metadata, view } = staged;
  let put;
  try {
    put = staged.envelope ? await services.store.put(contentHash, staged.envelope) : { written: false, bytesWritten: 0 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return failed('store-error', `${path}: storing the payload failed (${code ?? (error as Error).name})`);
  }
  const sameContent = previous?.contentHash === contentHash;
  const sameAttributes = sameContent && previous.metadataEnvelope !== null && sameMetadata(services, path, previous.metadataEnvelope, metadata);
  // An unchanged file keeps its sealed attributes: the new envelope is dropped.
  const metadataEnvelope = sameAttributes ? previous.metadataEnvelope! : Buffer.from(staged.metadataEnvelope);
  return {
    view,
    item: {
      type: 'file',
      name: path,
      status: sameAttributes && !put.written ? 'unchanged' : 'backed_up',
      format,
      contentHash,
      keyId: keyring.activeKeyId,
      sizeBytes: metadata.size,
      metadataEnvelope,
      changeToken,
      // The thread leaves the view out exactly when the content hashed to `reuseViewForHash`.
      ...viewColumns(view, reusable),
      payloadWritten: put.written,
      payloadBytesWritten: put.bytesWritten,
    },
  };
}

/**
 * What restic and git compare to skip unchanged files: device, inode, size, mtime and ctime (nanoseconds), plus mode
 * and owner. ctime cannot be set by utimes and moves on every write, chmod and chown. Keyed (marker key), so the
 * stored token reveals nothing about the file.
 */
function fileChangeToken(services: RunServices, path: string, info: BigIntStats): string {
  const fields = [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs, info.mode, info.uid, info.gid].join(':');
  return services.keyring.markerHash(`file-change/v1\u0000${path}\u0000${fields}`);
}

function sameMetadata(services: RunServices, path: string, envelope: Buffer, current: FileMetadata): boolean {
  try {
    const before = openFileMetadata(services.keyring, path, envelope);
    return SAME_METADATA.every((field) => before[field] === current[field]);
  } catch {
    return false;
  }
}
