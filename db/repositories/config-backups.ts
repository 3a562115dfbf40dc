import type pg from 'pg';
import type { ConfigItemType, ItemStatus } from '../../domain/config-backup/contract.js';

type Queryable = pg.Pool | pg.PoolClient;

// ---------------------------------------------------------------------------------------------------------------
// The run lock (one row with a lease; see 0004_config_backups.sql)

export interface LockState {
  acquired: boolean;
  holder: string | null;
  acquiredAt: Date | null;
  leaseUntil: Date | null;
}

/** Thrown when a writer finds it no longer holds the lock (its lease ran out and someone else took it). */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
}

/**
 * Takes the lock for `holder` when it is free, expired, or already held by `holder` (a retried activity). Returns
 * the current holder when someone else has it.
 */
export async function acquireConfigBackupLock(db: Queryable, holder: string, leaseMs: number): Promise<LockState> {
  const taken = await db.query(
    `UPDATE config_backup_lock
        SET acquired_at = CASE WHEN holder = $1 AND lease_until >= now() THEN acquired_at ELSE clock_timestamp() END,
            holder = $1, lease_until = clock_timestamp() + $2 * interval '1 millisecond'
      WHERE id AND (holder IS NULL OR holder = $1 OR lease_until < clock_timestamp())
      RETURNING holder, acquired_at, lease_until`,
    [holder, leaseMs],
  );
  const row = taken.rows[0] ?? (await db.query('SELECT holder, acquired_at, lease_until FROM config_backup_lock WHERE id')).rows[0];
  return { acquired: taken.rows.length > 0, holder: row?.holder ?? null, acquiredAt: row?.acquired_at ?? null, leaseUntil: row?.lease_until ?? null };
}

/**
 * Extends the lease; throws `LockLostError` when `holder` does not hold it. Inside a transaction this also locks
 * the row until commit, so nobody can take the lock between the check and the commit (fencing).
 */
export async function renewConfigBackupLock(db: Queryable, holder: string, leaseMs: number): Promise<void> {
  const renewed = await db.query(
    `UPDATE config_backup_lock SET lease_until = clock_timestamp() + $2 * interval '1 millisecond'
      WHERE id AND holder = $1 RETURNING holder`,
    [holder, leaseMs],
  );
  if (renewed.rows.length === 0) throw new LockLostError(`the configuration backup lock is no longer held by ${holder}`);
}

export async function releaseConfigBackupLock(db: Queryable, holder: string): Promise<boolean> {
  const released = await db.query(`UPDATE config_backup_lock SET holder = NULL, lease_until = NULL WHERE id AND holder = $1`, [holder]);
  return (released.rowCount ?? 0) > 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Key check values (one per key id that wrote to the store; see 0006_config_backup_key_checks.sql)

export async function keyCheckValues(db: Queryable): Promise<Map<string, string>> {
  const result = await db.query(`SELECT key_id, check_value FROM config_backup_keys`);
  return new Map(result.rows.map((row) => [row.key_id as string, row.check_value as string]));
}

/** Records `checkValue` for `keyId` unless one is recorded already; returns the recorded one (first writer wins). */
export async function recordKeyCheckValue(db: Queryable, keyId: string, checkValue: string): Promise<string> {
  // Two statements: a row a concurrent first use committed is visible to the second one's snapshot.
  await db.query(`INSERT INTO config_backup_keys (key_id, check_value) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`, [keyId, checkValue]);
  const result = await db.query(`SELECT check_value FROM config_backup_keys WHERE key_id = $1`, [keyId]);
  return result.rows[0]!.check_value as string;
}

/** One payload address written under `keyId`, to authenticate a key whose check value was never recorded. */
export async function samplePayloadOfKey(db: Queryable, keyId: string): Promise<string | undefined> {
  const result = await db.query(`SELECT content_hash FROM config_backup_items WHERE key_id = $1 AND content_hash IS NOT NULL ORDER BY id DESC LIMIT 1`, [
    keyId,
  ]);
  return result.rows[0]?.content_hash as string | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Backup sets

export interface BackupSetRow {
  id: number;
  workflowId: string;
  holder: string;
  status: 'running' | 'completed' | 'failed';
  startedAt: Date;
  finishedAt: Date | null;
  envPrefix: string | null;
  keyId: string;
}

/** Creates the run's set, or returns it when a retried activity already created it. */
export async function createBackupSet(
  db: Queryable,
  set: { workflowId: string; holder: string; envPrefix: string | null; keyId: string },
): Promise<{ id: number; startedAt: Date }> {
  const result = await db.query(
    `INSERT INTO config_backup_sets (workflow_id, holder, status, env_prefix, key_id) VALUES ($1, $2, 'running', $3, $4)
     ON CONFLICT (holder) DO UPDATE SET holder = EXCLUDED.holder
     RETURNING id, started_at`,
    [set.workflowId, set.holder, set.envPrefix, set.keyId],
  );
  return { id: Number(result.rows[0].id), startedAt: result.rows[0].started_at };
}

/**
 * Marks sets left `running` by runs that no longer hold the lock (terminated workflows, whose lease ran out) as
 * failed, so listings do not show them as in progress forever. Call while holding the lock.
 */
export async function abandonStaleSets(db: Queryable, holder: string): Promise<number> {
  const result = await db.query(
    `UPDATE config_backup_sets SET status = 'failed', finished_at = clock_timestamp(),
       error_message = 'abandoned: the run stopped without finishing and its lock lease expired'
     WHERE status = 'running' AND holder <> $1`,
    [holder],
  );
  return result.rowCount ?? 0;
}

export async function finishBackupSet(
  db: Queryable,
  id: number,
  outcome: {
    status: 'completed' | 'failed';
    backedUp: number;
    unchanged: number;
    failed: number;
    payloadsWritten: number;
    payloadBytesWritten: number;
    errorMessage?: string | null;
  },
): Promise<Date> {
  const result = await db.query(
    `UPDATE config_backup_sets SET status = $2, finished_at = COALESCE(finished_at, clock_timestamp()), items_backed_up = $3, items_unchanged = $4,
       items_failed = $5, payloads_written = $6, payload_bytes_written = $7, error_message = $8
     WHERE id = $1 RETURNING finished_at`,
    [
      id,
      outcome.status,
      outcome.backedUp,
      outcome.unchanged,
      outcome.failed,
      outcome.payloadsWritten,
      outcome.payloadBytesWritten,
      outcome.errorMessage ?? null,
    ],
  );
  return result.rows[0]?.finished_at ?? new Date();
}

/** Marks a run's set failed (its committed items stay: their payloads are durable and restorable). */
export async function failBackupSet(db: Queryable, holder: string, errorMessage: string): Promise<void> {
  await db.query(
    `UPDATE config_backup_sets s SET status = 'failed', finished_at = clock_timestamp(), error_message = $2,
       items_backed_up = (SELECT count(*) FROM config_backup_items WHERE set_id = s.id AND status = 'backed_up'),
       items_unchanged = (SELECT count(*) FROM config_backup_items WHERE set_id = s.id AND status = 'unchanged'),
       items_failed = (SELECT count(*) FROM config_backup_items WHERE set_id = s.id AND status = 'failed')
     WHERE holder = $1 AND status = 'running'`,
    [holder, errorMessage],
  );
}

export async function getBackupSet(db: Queryable, id: number): Promise<Record<string, unknown> | undefined> {
  return (await db.query('SELECT * FROM config_backup_sets WHERE id = $1', [id])).rows[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Items and views written by a run

export interface PreviousItem {
  name: string;
  contentHash: string;
  format: string | null;
  keyId: string;
  viewHash: string | null;
  viewKeyId: string | null;
  viewProfile: string | null;
  metadataEnvelope: Buffer | null;
  changeToken: string | null;
  sizeBytes: number | null;
  secretCount: number | null;
  warningCount: number | null;
}

/** The newest successful backup of each named item (what "unchanged" is judged against). */
export async function latestItems(db: Queryable, type: ConfigItemType, names: readonly string[]): Promise<Map<string, PreviousItem>> {
  if (names.length === 0) return new Map();
  const result = await db.query(
    `SELECT DISTINCT ON (i.item_name) i.item_name, i.content_hash, i.format, i.key_id, i.view_hash, v.hash_key_id AS view_key_id,
            v.profile AS view_profile, i.metadata_envelope, i.change_token, i.size_bytes, i.secret_count, i.warning_count
       FROM config_backup_items i LEFT JOIN config_backup_views v ON v.view_hash = i.view_hash
      WHERE i.item_type = $1 AND i.item_name = ANY($2::text[]) AND i.status <> 'failed'
      ORDER BY i.item_name, i.backed_up_at DESC, i.id DESC`,
    [type, names],
  );
  return new Map(
    result.rows.map((row) => [
      row.item_name as string,
      {
        name: row.item_name,
        contentHash: row.content_hash,
        format: row.format,
        keyId: row.key_id,
        viewHash: row.view_hash,
        viewKeyId: row.view_key_id,
        viewProfile: row.view_profile,
        metadataEnvelope: row.metadata_envelope,
        changeToken: row.change_token,
        sizeBytes: row.size_bytes,
        secretCount: row.secret_count,
        warningCount: row.warning_count,
      },
    ]),
  );
}

export interface StoredOutcome {
  id: number;
  status: ItemStatus;
  reason: string | null;
  bytesWritten: number;
  payloadWritten: boolean;
}

/** Items a set already holds (a retried activity skips them). */
export async function itemsInSet(db: Queryable, setId: number, type: ConfigItemType): Promise<Map<string, StoredOutcome>> {
  const result = await db.query(
    `SELECT id, item_name, status, failure_reason, payload_bytes_written, payload_written FROM config_backup_items WHERE set_id = $1 AND item_type = $2`,
    [setId, type],
  );
  return new Map(
    result.rows.map((row) => [
      row.item_name as string,
      {
        id: Number(row.id),
        status: row.status,
        reason: row.failure_reason,
        bytesWritten: Number(row.payload_bytes_written),
        payloadWritten: row.payload_written,
      },
    ]),
  );
}

export interface NewView {
  hash: string;
  kind: 'map' | 'text';
  format: string;
  hashKeyId: string | null;
  profile: string;
  /** The view, already serialised (JSON text). */
  json: string;
}

export interface NewItem {
  type: ConfigItemType;
  name: string;
  status: ItemStatus;
  failureCode?: string | null;
  failureReason?: string | null;
  format?: string | null;
  contentHash?: string | null;
  keyId?: string | null;
  sizeBytes?: number | null;
  metadataEnvelope?: Buffer | null;
  changeToken?: string | null;
  viewHash?: string | null;
  secretCount?: number | null;
  warningCount?: number | null;
  payloadWritten?: boolean;
  payloadBytesWritten?: number;
}

/**
 * Inserts views (deduplicated) and items in two statements, whatever their number: each batch travels as one JSON
 * document that PostgreSQL unpacks with json_to_recordset. Items already in the set are left as they are.
 * Returns item ids by `type:name`.
 */
export async function insertViewsAndItems(db: Queryable, setId: number, views: readonly NewView[], items: readonly NewItem[]): Promise<Map<string, number>> {
  if (views.length > 0) {
    const seen = new Set<string>();
    const parts: string[] = [];
    for (const view of views) {
      if (seen.has(view.hash)) continue;
      seen.add(view.hash);
      parts.push(
        `{"h":"${view.hash}","k":"${view.kind}","f":${JSON.stringify(view.format)},"i":${JSON.stringify(view.hashKeyId)},"p":"${view.profile}","v":${view.json}}`,
      );
    }
    await db.query(
      `INSERT INTO config_backup_views (view_hash, kind, format, hash_key_id, profile, view)
       SELECT h, k, f, i, p, v FROM json_to_recordset($1::json) AS x(h text, k text, f text, i text, p text, v json)
       ON CONFLICT (view_hash) DO NOTHING`,
      [`[${parts.join(',')}]`],
    );
  }
  const ids = new Map<string, number>();
  if (items.length === 0) return ids;
  const rows = items.map((item) => ({
    t: item.type,
    n: item.name,
    s: item.status,
    fc: item.failureCode ?? null,
    fr: item.failureReason ?? null,
    f: item.format ?? null,
    h: item.contentHash ?? null,
    k: item.keyId ?? null,
    sz: item.sizeBytes ?? null,
    me: item.metadataEnvelope ? item.metadataEnvelope.toString('base64') : null,
    ct: item.changeToken ?? null,
    vh: item.viewHash ?? null,
    sc: item.secretCount ?? null,
    wc: item.warningCount ?? null,
    pw: item.payloadWritten ?? false,
    pb: item.payloadBytesWritten ?? 0,
  }));
  const inserted = await db.query(
    `INSERT INTO config_backup_items (set_id, item_type, item_name, status, failure_code, failure_reason, format, content_hash, key_id,
       size_bytes, metadata_envelope, change_token, view_hash, secret_count, warning_count, payload_written, payload_bytes_written)
     SELECT $1, t, n, s, fc, fr, f, h, k, sz, decode(me, 'base64'), ct, vh, sc, wc, pw, pb
       FROM json_to_recordset($2::json) AS x(t text, n text, s text, fc text, fr text, f text, h text, k text, sz bigint, me text,
                                            ct text, vh text, sc integer, wc integer, pw boolean, pb bigint)
     ON CONFLICT (set_id, item_type, item_name) DO NOTHING
     RETURNING id, item_type, item_name`,
    [setId, JSON.stringify(rows)],
  );
  for (const row of inserted.rows) ids.set(`${row.item_type}:${row.item_name}`, Number(row.id));
  if (ids.size < items.length) {
    const missing = await db.query(
      `SELECT id, item_type, item_name FROM config_backup_items WHERE set_id = $1 AND (item_type || ':' || item_name) = ANY($2::text[])`,
      [setId, items.map((item) => `${item.type}:${item.name}`).filter((key) => !ids.has(key))],
    );
    for (const row of missing.rows) ids.set(`${row.item_type}:${row.item_name}`, Number(row.id));
  }
  return ids;
}

/** Key ids that existing payloads were sealed with, and how many item rows use each. */
export async function keyIdsInUse(db: Queryable): Promise<Map<string, number>> {
  const result = await db.query(`SELECT key_id, count(*)::int AS items FROM config_backup_items WHERE key_id IS NOT NULL GROUP BY key_id`);
  return new Map(result.rows.map((row) => [row.key_id as string, row.items as number]));
}

export async function referencedHashes(db: Queryable): Promise<Set<string>> {
  const result = await db.query(`SELECT DISTINCT content_hash FROM config_backup_items WHERE content_hash IS NOT NULL`);
  return new Set(result.rows.map((row) => row.content_hash as string));
}

// ---------------------------------------------------------------------------------------------------------------
// Reading for the CLI

export interface ItemRow {
  id: number;
  setId: number;
  type: ConfigItemType;
  name: string;
  status: ItemStatus;
  failureCode: string | null;
  failureReason: string | null;
  format: string | null;
  contentHash: string | null;
  keyId: string | null;
  sizeBytes: number | null;
  metadataEnvelope: Buffer | null;
  viewHash: string | null;
  secretCount: number | null;
  warningCount: number | null;
  payloadWritten: boolean;
  payloadBytesWritten: number;
  backedUpAt: Date;
  workflowId: string;
  setStatus: string;
}

const ITEM_COLUMNS = `i.id, i.set_id, i.item_type, i.item_name, i.status, i.failure_code, i.failure_reason, i.format, i.content_hash, i.key_id,
  i.size_bytes, i.metadata_envelope, i.view_hash, i.secret_count, i.warning_count, i.payload_written, i.payload_bytes_written,
  i.backed_up_at, s.workflow_id, s.status AS set_status`;

function toItemRow(row: Record<string, unknown>): ItemRow {
  return {
    id: Number(row.id),
    setId: Number(row.set_id),
    type: row.item_type as ConfigItemType,
    name: row.item_name as string,
    status: row.status as ItemStatus,
    failureCode: (row.failure_code as string | null) ?? null,
    failureReason: (row.failure_reason as string | null) ?? null,
    format: (row.format as string | null) ?? null,
    contentHash: (row.content_hash as string | null) ?? null,
    keyId: (row.key_id as string | null) ?? null,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    metadataEnvelope: (row.metadata_envelope as Buffer | null) ?? null,
    viewHash: (row.view_hash as string | null) ?? null,
    secretCount: (row.secret_count as number | null) ?? null,
    warningCount: (row.warning_count as number | null) ?? null,
    payloadWritten: row.payload_written as boolean,
    payloadBytesWritten: Number(row.payload_bytes_written),
    backedUpAt: row.backed_up_at as Date,
    workflowId: row.workflow_id as string,
    setStatus: row.set_status as string,
  };
}

/** Items newest first, optionally of one type and from the last `days` days. */
export async function listItems(db: Queryable, filter: { type?: ConfigItemType; days?: number; limit?: number } = {}): Promise<ItemRow[]> {
  const result = await db.query(
    `SELECT ${ITEM_COLUMNS} FROM config_backup_items i JOIN config_backup_sets s ON s.id = i.set_id
      WHERE ($1::text IS NULL OR i.item_type = $1)
        AND ($2::double precision IS NULL OR i.backed_up_at >= now() - $2 * interval '1 day')
      ORDER BY i.backed_up_at DESC, i.id DESC
      LIMIT $3`,
    [filter.type ?? null, filter.days ?? null, filter.limit ?? null],
  );
  return result.rows.map(toItemRow);
}

export async function getItem(db: Queryable, id: number): Promise<ItemRow | undefined> {
  const result = await db.query(`SELECT ${ITEM_COLUMNS} FROM config_backup_items i JOIN config_backup_sets s ON s.id = i.set_id WHERE i.id = $1`, [id]);
  return result.rows[0] ? toItemRow(result.rows[0]) : undefined;
}

/** The newest successful backup of the same item taken before `item`. */
export async function previousItemOf(db: Queryable, item: ItemRow): Promise<ItemRow | undefined> {
  const result = await db.query(
    `SELECT ${ITEM_COLUMNS} FROM config_backup_items i JOIN config_backup_sets s ON s.id = i.set_id
      WHERE i.item_type = $1 AND i.item_name = $2 AND i.status <> 'failed' AND (i.backed_up_at, i.id) < ($3, $4)
      ORDER BY i.backed_up_at DESC, i.id DESC LIMIT 1`,
    [item.type, item.name, item.backedUpAt, item.id],
  );
  return result.rows[0] ? toItemRow(result.rows[0]) : undefined;
}

export async function getView(db: Queryable, viewHash: string): Promise<unknown> {
  const result = await db.query('SELECT view FROM config_backup_views WHERE view_hash = $1', [viewHash]);
  return result.rows[0]?.view;
}

/** Every successful item with what verify and rotate-key need. */
export async function payloadReferences(
  db: Queryable,
): Promise<Array<{ id: number; type: ConfigItemType; name: string; contentHash: string; keyId: string; metadataEnvelope: Buffer | null }>> {
  const result = await db.query(
    `SELECT id, item_type, item_name, content_hash, key_id, metadata_envelope FROM config_backup_items WHERE content_hash IS NOT NULL ORDER BY id`,
  );
  return result.rows.map((row) => ({
    id: Number(row.id),
    type: row.item_type,
    name: row.item_name,
    contentHash: row.content_hash,
    keyId: row.key_id,
    metadataEnvelope: row.metadata_envelope,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Retention and key rotation

export interface RetentionCandidate {
  id: number;
  type: ConfigItemType;
  name: string;
  backedUpAt: Date;
  setId: number;
}

/** Every successful item (the snapshots retention judges); failed items are not snapshots. */
export async function retentionCandidates(db: Queryable): Promise<RetentionCandidate[]> {
  const result = await db.query(
    `SELECT id, item_type, item_name, backed_up_at, set_id FROM config_backup_items WHERE status <> 'failed' ORDER BY backed_up_at DESC, id DESC`,
  );
  return result.rows.map((row) => ({ id: Number(row.id), type: row.item_type, name: row.item_name, backedUpAt: row.backed_up_at, setId: Number(row.set_id) }));
}

/**
 * Deletes items by id, then the sets left without any successful item (with their failure rows; the newest set is
 * always kept so the last run stays visible), then views no item uses. Returns the numbers deleted.
 */
export async function deleteItems(db: Queryable, ids: readonly number[]): Promise<{ items: number; sets: number; views: number }> {
  const items = ids.length === 0 ? 0 : ((await db.query('DELETE FROM config_backup_items WHERE id = ANY($1::bigint[])', [ids])).rowCount ?? 0);
  const sets =
    ids.length === 0
      ? 0
      : ((
          await db.query(
            `DELETE FROM config_backup_sets s
              WHERE s.status <> 'running'
                AND s.id <> (SELECT max(id) FROM config_backup_sets)
                AND NOT EXISTS (SELECT 1 FROM config_backup_items i WHERE i.set_id = s.id AND i.status <> 'failed')`,
          )
        ).rowCount ?? 0);
  const views =
    (await db.query(`DELETE FROM config_backup_views v WHERE NOT EXISTS (SELECT 1 FROM config_backup_items i WHERE i.view_hash = v.view_hash)`)).rowCount ?? 0;
  return { items, sets, views };
}

/** Points every item from old payload addresses to new ones (key rotation), with the key that now seals them. */
export async function repointPayloads(db: Queryable, moves: ReadonlyArray<{ from: string; to: string }>, keyId: string): Promise<number> {
  if (moves.length === 0) return 0;
  const result = await db.query(
    `UPDATE config_backup_items i SET content_hash = m.to_hash, key_id = $2
       FROM json_to_recordset($1::json) AS m(from_hash text, to_hash text)
      WHERE i.content_hash = m.from_hash`,
    [JSON.stringify(moves.map((m) => ({ from_hash: m.from, to_hash: m.to }))), keyId],
  );
  return result.rowCount ?? 0;
}

export async function replaceMetadataEnvelopes(db: Queryable, updates: ReadonlyArray<{ id: number; envelope: Buffer }>): Promise<number> {
  if (updates.length === 0) return 0;
  const result = await db.query(
    `UPDATE config_backup_items i SET metadata_envelope = decode(u.envelope, 'base64')
       FROM json_to_recordset($1::json) AS u(id bigint, envelope text)
      WHERE i.id = u.id`,
    [JSON.stringify(updates.map((u) => ({ id: u.id, envelope: u.envelope.toString('base64') })))],
  );
  return result.rowCount ?? 0;
}
