import { Context } from '@temporalio/activity';

/**
 * Heartbeats when running as an activity; a no-op when the same code runs in the CLI or a test, where there is
 * no activity context to report to.
 */
export function heartbeat(details?: unknown): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.heartbeat(details);
}
