import type { CalendarSpec, ScheduleOverlapPolicy } from '@temporalio/client';

/**
 * One schedule this project owns. Declarations are plain data so they can be diffed against the server, listed in
 * dry runs and tested without a server; `sentinel schedules apply` turns them into Temporal Schedules.
 */
export interface ScheduleDeclaration {
  /** Stable schedule ID, e.g. `sentinel/config-backup`. Every ID this project creates starts with `sentinel/`. */
  id: string;
  description: string;
  /** The workflow's registered type: always `<workflow function>.name`, never spelled by hand. */
  workflowType: string;
  /** The workflow's single argument (no secrets: it is stored in the schedule). */
  args: unknown[];
  /** Prefix of each run's workflow ID; Temporal appends the scheduled time. */
  workflowIdPrefix: string;
  /** When it fires: cron strings or calendar specs, interpreted in `timezone`. */
  cron?: string[];
  calendars?: CalendarSpec[];
  intervals?: Array<{ every: string }>;
  timezone: string;
  overlap: ScheduleOverlapPolicy;
  /** How late a missed run may still start after an outage; set explicitly (the SDK default is unreliable). */
  catchupWindow: string;
  pauseOnFailure?: boolean;
  /** Search attributes each started workflow carries (keyword values). */
  searchAttributes?: Record<string, string>;
}

export const SCHEDULE_ID_PREFIX = 'sentinel/';
/** Written into every schedule's memo, so apply only ever touches schedules it created. */
export const SCHEDULE_MEMO_CREATOR = 'backup-sentinel schedules apply';
