/**
 * `sentinel config prune`: retention with `restic forget` semantics over the backups of each item (group =
 * `type:name`, snapshot = one successful backup of it), then removal of what no backup needs any more: item rows,
 * emptied sets, unused views and payloads. A dry run reports the same decision, with why each backup is kept.
 */
import type pg from 'pg';
import { applyRetention, describePolicy, type RetentionPolicy, type RetentionSnapshot } from '../../../domain/config-backup/retention.js';
import { inTransaction } from '../../../db/pool.js';
import { deleteItems, referencedHashes, renewConfigBackupLock, retentionCandidates, type RetentionCandidate } from '../../../db/repositories/config-backups.js';
import type { PayloadStore } from '../store/payload-store.js';
import { withConfigBackupLock } from '../run/exclusive.js';

interface Snapshot extends RetentionSnapshot {
  candidate: RetentionCandidate;
}

export interface PruneGroupReport {
  group: string;
  keep: Array<{ id: number; backedUpAt: string; reasons: string[] }>;
  remove: Array<{ id: number; backedUpAt: string }>;
}

export interface PruneReport {
  dryRun: boolean;
  policy: string;
  policyEmpty: boolean;
  timeZone: string;
  groups: PruneGroupReport[];
  kept: number;
  removed: number;
  deleted?: { items: number; sets: number; views: number; payloads: number; bytesFreed: number };
}

/** Decides what a policy keeps; reads only. */
export async function planPrune(db: pg.Pool, policy: RetentionPolicy, timeZone = 'UTC'): Promise<PruneReport> {
  const snapshots: Snapshot[] = (await retentionCandidates(db)).map((candidate) => ({
    id: String(candidate.id),
    group: `${candidate.type}:${candidate.name}`,
    time: candidate.backedUpAt,
    candidate,
  }));
  const result = applyRetention(snapshots, policy, { timeZone });
  return {
    dryRun: true,
    policy: describePolicy(policy),
    policyEmpty: result.policyEmpty,
    timeZone: result.timeZone,
    groups: result.groups.map((group) => ({
      group: group.group,
      keep: group.keep.map((k) => ({ id: k.snapshot.candidate.id, backedUpAt: k.snapshot.time.toISOString(), reasons: k.reasons })),
      remove: group.remove.map((r) => ({ id: r.candidate.id, backedUpAt: r.time.toISOString() })),
    })),
    kept: result.keep.length,
    removed: result.remove.length,
  };
}

/**
 * Applies a policy under the backup lock: deletes the rows it removes, then every payload nothing references any
 * more (no grace period: holding the lock means no run is writing).
 */
export async function prune(
  db: pg.Pool,
  store: PayloadStore,
  policy: RetentionPolicy,
  options: { timeZone?: string; dryRun?: boolean } = {},
): Promise<PruneReport> {
  if (options.dryRun) return planPrune(db, policy, options.timeZone);
  return withConfigBackupLock(db, 'prune', async (lock) => {
    const report = await planPrune(db, policy, options.timeZone);
    const ids = report.groups.flatMap((group) => group.remove.map((r) => r.id));
    const deleted = await inTransaction(db, async (client) => {
      await renewConfigBackupLock(client, lock.holder, lock.leaseMs);
      return deleteItems(client, ids);
    });
    // Temp files too, whatever their age: under the lock none belongs to a write still in progress (a SIGKILLed
    // worker leaves the ones it was fsyncing).
    const cleanup = await store.removeUnreferenced(await referencedHashes(db), { graceMs: 0, staleTempAgeMs: 0 });
    return { ...report, dryRun: false, deleted: { ...deleted, payloads: cleanup.removed.length, bytesFreed: cleanup.bytesFreed } };
  });
}
