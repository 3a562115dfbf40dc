import { AsyncLocalStorage } from 'node:async_hooks';

/** Identifiers attached to every log line written while an activity runs (set by the worker's interceptor). */
export interface LogContext {
  workflowId: string;
  runId: string;
  activityType: string;
  attempt: number;
}

export const logContext = new AsyncLocalStorage<LogContext>();
