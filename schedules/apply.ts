import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ServiceError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SCHEDULE_ID_PREFIX, SCHEDULE_MEMO_CREATOR, type ScheduleDeclaration } from './types.js';

export interface ApplyReport {
  dryRun: boolean;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
  /** Declared schedules left as they are because the server would not describe them; apply again later. */
  skipped: Array<{ id: string; reason: string }>;
}

export interface ApplyOptions {
  taskQueue: string;
  dryRun?: boolean;
  /** Describe attempts per schedule before it counts as absent (default 4: waits 0.25, 0.5, 1 s in between). */
  describeAttempts?: number;
  describeBackoffMs?: number;
  /**
   * Seams for tests that race the server: called right before each describe attempt (1-based), create and delete, so a
   * test can delete, create or cut off a schedule at exactly that point on a real server.
   */
  hooks?: {
    beforeDescribe?: (scheduleId: string, attempt: number) => Promise<void> | void;
    beforeCreate?: (scheduleId: string) => Promise<void> | void;
    beforeDelete?: (scheduleId: string) => Promise<void> | void;
  };
}

/**
 * Reconciles the server with the declarations: creates missing schedules, updates changed ones, deletes schedules
 * this project created (memo) that are no longer declared, and never touches any other schedule. A fingerprint of
 * each declaration is kept in the schedule's note (the memo cannot be updated), so an unchanged declaration is left
 * alone and a second apply changes nothing.
 *
 * Another actor may create or delete a schedule while this runs (`npm start`, a second apply, an operator), and a
 * busy server may fail a describe (it queries the schedule's own workflow). So: a describe that fails with anything
 * but "not found" is retried with backoff, then the schedule counts as absent; a create that finds the schedule
 * already there describes it again and updates it if needed; an update or delete that finds it gone creates it or
 * moves on. Only a schedule that exists but stays undescribable is skipped, and the report says so.
 */
export async function applySchedules(client: Client, declarations: ScheduleDeclaration[], options: ApplyOptions): Promise<ApplyReport> {
  const report: ApplyReport = { dryRun: options.dryRun ?? false, created: [], updated: [], deleted: [], unchanged: [], skipped: [] };
  const declaredIds = new Set(declarations.map((d) => d.id));
  const describe = (id: string) =>
    describeWithRetry(client.schedule.getHandle(id), options.describeAttempts ?? 4, options.describeBackoffMs ?? 250, options.hooks?.beforeDescribe);

  for (const declaration of declarations) {
    const note = noteFor(declaration, options.taskQueue);
    const first = await describe(declaration.id);
    if (report.dryRun) {
      if (first.state === 'described') (first.description.state.note === note ? report.unchanged : report.updated).push(declaration.id);
      else if (first.state === 'absent') report.created.push(declaration.id);
      else report.skipped.push({ id: declaration.id, reason: first.reason });
      continue;
    }
    const outcome = await reconcile(client, toScheduleOptions(declaration, options.taskQueue, note), first, describe, options.hooks?.beforeCreate);
    if (outcome.kind === 'skipped') report.skipped.push({ id: declaration.id, reason: outcome.reason });
    else report[outcome.kind].push(declaration.id);
  }

  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX) || declaredIds.has(summary.scheduleId)) continue;
    if (summary.memo?.createdBy !== SCHEDULE_MEMO_CREATOR) continue;
    if (!report.dryRun) {
      await options.hooks?.beforeDelete?.(summary.scheduleId);
      // The list is eventually consistent: a schedule deleted a moment ago may still be listed. Gone is the goal.
      const gone = await client.schedule
        .getHandle(summary.scheduleId)
        .delete()
        .then(
          () => false,
          (error: unknown) => {
            if (error instanceof ScheduleNotFoundError) return true;
            throw error;
          },
        );
      if (gone) continue;
    }
    report.deleted.push(summary.scheduleId);
  }
  return report;
}

type Described = { state: 'described'; description: ScheduleDescription } | { state: 'absent' } | { state: 'undescribable'; reason: string };

type Outcome = { kind: 'created' | 'updated' | 'unchanged' } | { kind: 'skipped'; reason: string };

async function reconcile(
  client: Client,
  desired: ScheduleOptions,
  first: Described,
  describe: (id: string) => Promise<Described>,
  beforeCreate: ((id: string) => Promise<void> | void) | undefined,
): Promise<Outcome> {
  const id = desired.scheduleId;
  let current = first;
  // Two rounds at most: absent -> create finds it there -> describe again; described -> update finds it gone -> create.
  for (let round = 0; round < 2; round += 1) {
    if (current.state !== 'described') {
      await beforeCreate?.(id);
      const created = await client.schedule.create(desired).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ScheduleAlreadyRunning) return false; // someone else created it meanwhile, or it was there but undescribable
          throw error;
        },
      );
      if (created) return { kind: 'created' };
      current = await describe(id);
      if (current.state === 'undescribable') return { kind: 'skipped', reason: current.reason };
      continue; // described: compare below; absent again (deleted right after): create once more
    }
    const existing = current.description;
    if (existing.state.note === desired.state?.note) return { kind: 'unchanged' };
    const { scheduleId: _id, memo: _memo, ...updatable } = desired;
    const updated = await client.schedule
      .getHandle(id)
      // Keep an operator's pause across re-applies; everything else follows the declaration.
      .update(() => ({ ...updatable, state: { ...updatable.state, paused: existing.state.paused } }) as ScheduleUpdateOptions)
      .then(
        () => true,
        (error: unknown) => {
          if (error instanceof ScheduleNotFoundError) return false; // deleted since we described it
          throw error;
        },
      );
    if (updated) return { kind: 'updated' };
    current = { state: 'absent' };
  }
  return { kind: 'skipped', reason: 'created and deleted by someone else while this apply ran' };
}

/** "Not found" is an answer; any other failure of describe may be transient (a busy server, a schedule being created). */
async function describeWithRetry(
  handle: ScheduleHandle,
  attempts: number,
  backoffMs: number,
  beforeAttempt: ((id: string, attempt: number) => Promise<void> | void) | undefined,
): Promise<Described> {
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await setTimeout(backoffMs * 2 ** (attempt - 2));
    await beforeAttempt?.(handle.scheduleId, attempt);
    try {
      return { state: 'described', description: await handle.describe() };
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return { state: 'absent' };
      if (!(error instanceof ServiceError)) throw error;
      last = describeFailure(error);
    }
  }
  return { state: 'undescribable', reason: `not describable after ${attempts} attempts: ${last}` };
}

function describeFailure(error: ServiceError): string {
  const cause = error.cause as { details?: string; message?: string } | undefined;
  return `${error.message}${cause ? ` (${cause.details || cause.message})` : ''}`;
}

/** The schedule a declaration stands for (exported for tests that create one behind apply's back). */
export function toScheduleOptions(d: ScheduleDeclaration, taskQueue: string, note: string): ScheduleOptions {
  return {
    scheduleId: d.id,
    spec: {
      ...(d.calendars ? { calendars: d.calendars } : {}),
      ...(d.cron ? { cronExpressions: d.cron } : {}),
      ...(d.intervals ? { intervals: d.intervals.map((i) => ({ every: i.every as never })) } : {}),
      timezone: d.timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: d.workflowType,
      workflowId: d.workflowIdPrefix,
      taskQueue,
      args: d.args,
      staticSummary: d.description,
      ...(d.searchAttributes
        ? {
            typedSearchAttributes: Object.entries(d.searchAttributes).map(([key, value]) => ({
              key: defineSearchAttributeKey(key, SearchAttributeType.KEYWORD),
              value,
            })),
          }
        : {}),
    },
    policies: { overlap: d.overlap, catchupWindow: d.catchupWindow as never, pauseOnFailure: d.pauseOnFailure ?? false },
    memo: { createdBy: SCHEDULE_MEMO_CREATOR, description: d.description },
    state: { note, paused: false },
  };
}

export function noteFor(declaration: ScheduleDeclaration, taskQueue: string): string {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ ...declaration, taskQueue }))
    .digest('hex')
    .slice(0, 16);
  return `${declaration.description} [managed by ${SCHEDULE_MEMO_CREATOR}; fingerprint ${fingerprint}]`;
}
