/**
 * Which of a target's dumps retention keeps: the `keep` policy with `restic forget` semantics, judged by the same
 * code as configuration backups (domain/config-backup/retention.ts), plus two dumps no policy may remove: the
 * newest dump that passed a restore drill (the last one known to restore) and any dump a drill is reading now.
 * Pure: no clock (`within` is measured from the newest dump), so a plan is reproducible.
 */
import { applyRetention, describePolicy, type RetentionPolicy } from '../config-backup/retention.js';

export interface DumpEntry {
  backupId: string;
  startedAt: Date;
  sizeBytes: number | null;
}

export interface DumpProtection {
  /** backup_id of the newest dump that passed a restore drill. */
  newestDrilled?: string | null | undefined;
  /** backup_ids leased by running drills. */
  leased?: readonly string[];
}

export const NEWEST_DRILLED_REASON = 'newest dump that passed a restore drill';
export const LEASED_REASON = 'a restore drill is reading it';

export interface DumpRetentionPlan<D extends DumpEntry> {
  policy: string;
  /** Newest first, with every reason it is kept. */
  keep: Array<{ dump: D; reasons: string[] }>;
  /** Newest first. */
  remove: D[];
}

export function planDumpRetention<D extends DumpEntry>(
  dumps: readonly D[],
  policy: RetentionPolicy,
  protection: DumpProtection = {},
  timeZone = 'UTC',
): DumpRetentionPlan<D> {
  const byId = new Map(dumps.map((dump) => [dump.backupId, dump]));
  const result = applyRetention(
    dumps.map((dump) => ({ id: dump.backupId, group: 'dumps', time: dump.startedAt })),
    policy,
    { timeZone },
  );
  const extra = (id: string): string[] => [
    ...(protection.newestDrilled === id ? [NEWEST_DRILLED_REASON] : []),
    ...(protection.leased?.includes(id) ? [LEASED_REASON] : []),
  ];
  const keep = result.keep.map(({ snapshot, reasons }) => ({ dump: byId.get(snapshot.id)!, reasons: [...reasons, ...extra(snapshot.id)] }));
  const remove: D[] = [];
  for (const snapshot of result.remove) {
    const reasons = extra(snapshot.id);
    if (reasons.length > 0) keep.push({ dump: byId.get(snapshot.id)!, reasons });
    else remove.push(byId.get(snapshot.id)!);
  }
  const newestFirst = (a: DumpEntry, b: DumpEntry) => b.startedAt.getTime() - a.startedAt.getTime() || (a.backupId < b.backupId ? -1 : 1);
  keep.sort((a, b) => newestFirst(a.dump, b.dump));
  return { policy: describePolicy(policy), keep, remove };
}

/**
 * The store a policy leaves in steady state, for the capacity forecast: the dumps it keeps of a history made at
 * the target's usual cadence, times the expected dump size. `history` is the target's dump times (any order).
 */
export function steadyStateKept(history: readonly Date[], policy: RetentionPolicy, timeZone = 'UTC'): number {
  if (history.length === 0) return 0;
  return applyRetention(
    history.map((time, k) => ({ id: String(k), group: 'dumps', time })),
    policy,
    { timeZone },
  ).keep.length;
}
