import { createHash } from 'node:crypto';
import { ScheduleNotFoundError, type Client, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SCHEDULE_ID_PREFIX, SCHEDULE_MEMO_CREATOR, type ScheduleDeclaration } from './types.js';

export interface ApplyReport {
  dryRun: boolean;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

/**
 * Reconciles the server with the declarations: creates missing schedules, updates changed ones, deletes schedules
 * this project created (memo) that are no longer declared, and never touches any other schedule. A fingerprint of
 * each declaration is kept in the schedule's note (the memo cannot be updated), so an unchanged declaration is left
 * alone and a second apply changes nothing.
 */
export async function applySchedules(
  client: Client,
  declarations: ScheduleDeclaration[],
  options: { taskQueue: string; dryRun?: boolean },
): Promise<ApplyReport> {
  const report: ApplyReport = { dryRun: options.dryRun ?? false, created: [], updated: [], deleted: [], unchanged: [] };
  const declaredIds = new Set(declarations.map((d) => d.id));

  for (const declaration of declarations) {
    const note = noteFor(declaration, options.taskQueue);
    const handle = client.schedule.getHandle(declaration.id);
    const existing = await handle.describe().catch((error: unknown) => {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    });
    if (!existing) {
      if (!report.dryRun) await client.schedule.create(toScheduleOptions(declaration, options.taskQueue, note));
      report.created.push(declaration.id);
    } else if (existing.state.note !== note) {
      if (!report.dryRun) {
        const { scheduleId: _id, memo: _memo, ...updatable } = toScheduleOptions(declaration, options.taskQueue, note);
        // Keep an operator's pause across re-applies; everything else follows the declaration.
        await handle.update(() => ({ ...updatable, state: { ...updatable.state, paused: existing.state.paused } }) as ScheduleUpdateOptions);
      }
      report.updated.push(declaration.id);
    } else {
      report.unchanged.push(declaration.id);
    }
  }

  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX) || declaredIds.has(summary.scheduleId)) continue;
    if (summary.memo?.createdBy !== SCHEDULE_MEMO_CREATOR) continue;
    if (!report.dryRun) await client.schedule.getHandle(summary.scheduleId).delete();
    report.deleted.push(summary.scheduleId);
  }
  return report;
}

function toScheduleOptions(d: ScheduleDeclaration, taskQueue: string, note: string): ScheduleOptions {
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
