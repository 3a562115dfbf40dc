/**
 * Read-only views of stored backups for `sentinel config list/show/diff`. Everything shown comes from redacted
 * views and metadata: secrets appear as `«secret:xxxxxxxx»` markers in `show` and only as "changed" in `diff`.
 */
import type pg from 'pg';
import { diffViews, type ViewDiff } from '../../../domain/config-backup/diff.js';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import type { Keyring } from '../../../domain/config-backup/keyring.js';
import type { RedactedView } from '../../../domain/config-backup/types.js';
import { getItem, getView, previousItemOf, type ItemRow } from '../../../db/repositories/config-backups.js';

export class ItemNotFoundError extends Error {
  override readonly name = 'ItemNotFoundError';
}

export interface ListedItem {
  id: number;
  type: ItemRow['type'];
  name: string;
  status: ItemRow['status'];
  backedUpAt: string;
  setId: number;
  workflowId: string;
  format: string | null;
  sizeBytes: number | null;
  secrets: number | null;
  warnings: number | null;
  reason?: string;
}

export function listedItem(row: ItemRow): ListedItem {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    status: row.status,
    backedUpAt: row.backedUpAt.toISOString(),
    setId: row.setId,
    workflowId: row.workflowId,
    format: row.format,
    sizeBytes: row.sizeBytes,
    secrets: row.secretCount,
    warnings: row.warningCount,
    ...(row.failureReason ? { reason: row.failureReason } : {}),
  };
}

export interface ShownItem extends ListedItem {
  payload: { hash: string; keyId: string | null } | null;
  /** File attributes, when the key is at hand to open them. */
  attributes?: { size: number; mode: string; uid: number; gid: number; mtime: string };
  view: RedactedView | null;
}

export async function requireItem(db: pg.Pool, id: number): Promise<ItemRow> {
  const item = await getItem(db, id);
  if (!item) throw new ItemNotFoundError(`no configuration backup item with ID ${id} (see \`sentinel config list\`)`);
  return item;
}

export async function showItem(db: pg.Pool, id: number, keyring?: Keyring): Promise<ShownItem> {
  const item = await requireItem(db, id);
  const view = item.viewHash ? ((await getView(db, item.viewHash)) as RedactedView) : null;
  let attributes: ShownItem['attributes'];
  if (keyring && item.type === 'file' && item.metadataEnvelope) {
    try {
      const m = openFileMetadata(keyring, item.name, item.metadataEnvelope);
      attributes = { size: m.size, mode: `0${m.mode.toString(8)}`, uid: m.uid, gid: m.gid, mtime: new Date(m.mtimeMs).toISOString() };
    } catch {
      // Without the right key the attributes stay sealed; `verify` reports why.
    }
  }
  return {
    ...listedItem(item),
    payload: item.contentHash ? { hash: item.contentHash, keyId: item.keyId } : null,
    ...(attributes ? { attributes } : {}),
    view,
  };
}

export interface ItemDiff {
  from: ListedItem;
  to: ListedItem;
  diff: ViewDiff;
}

/** `to` against `from`, or against the previous backup of the same item when `fromId` is absent. */
export async function diffItems(db: pg.Pool, id: number, otherId?: number): Promise<ItemDiff> {
  const first = await requireItem(db, id);
  let before: ItemRow;
  let after: ItemRow;
  if (otherId === undefined) {
    after = first;
    const previous = await previousItemOf(db, first);
    if (!previous) throw new ItemNotFoundError(`item ${id} (${first.type} ${first.name}) has no earlier backup to compare with`);
    before = previous;
  } else {
    const second = await requireItem(db, otherId);
    // Older first, whatever order the IDs were given in.
    [before, after] = first.backedUpAt.getTime() <= second.backedUpAt.getTime() ? [first, second] : [second, first];
  }
  for (const item of [before, after]) {
    if (!item.viewHash) throw new ItemNotFoundError(`item ${item.id} (${item.type} ${item.name}) failed to back up: nothing to compare`);
  }
  const [beforeView, afterView] = (await Promise.all([getView(db, before.viewHash!), getView(db, after.viewHash!)])) as RedactedView[];
  const diff = diffViews(beforeView!, afterView!);
  if (before.type !== after.type || before.name !== after.name)
    diff.warnings.unshift(`comparing different items: ${before.type} ${before.name} and ${after.type} ${after.name}`);
  return { from: listedItem(before), to: listedItem(after), diff };
}

/** Human rendering of a diff: `+`, `-`, `~` per key or line; secrets only as "(secret changed)". */
export function renderDiff(result: ItemDiff): string {
  const { from, to, diff } = result;
  const lines = [`diff ${from.id} (${from.backedUpAt}) -> ${to.id} (${to.backedUpAt}): ${to.type} ${to.name}`];
  for (const warning of diff.warnings) lines.push(`warning: ${warning}`);
  if (diff.kind === 'map') {
    for (const c of diff.changes) {
      const mark = c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
      if (c.secret) lines.push(`${mark} ${c.key} (secret ${c.change})`);
      else if (c.change === 'modified') lines.push(`~ ${c.key}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`);
      else lines.push(`${mark} ${c.key} = ${JSON.stringify(c.change === 'added' ? c.after : c.before)}`);
    }
  } else {
    for (const c of diff.changes) {
      if (c.change === 'modified') lines.push(c.secret ? `~ line ${c.afterLine} (secret changed)` : `~ line ${c.afterLine}: ${c.before} -> ${c.after}`);
      else if (c.change === 'added') lines.push(c.secret ? `+ line ${c.afterLine} (secret added)` : `+ line ${c.afterLine}: ${c.text}`);
      else lines.push(c.secret ? `- line ${c.beforeLine} (secret removed)` : `- line ${c.beforeLine}: ${c.text}`);
    }
  }
  lines.push(`${diff.summary.added} added, ${diff.summary.removed} removed, ${diff.summary.modified} modified`);
  return lines.join('\n');
}
