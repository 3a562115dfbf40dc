import { Context } from '@temporalio/activity';
import pg from 'pg';

/**
 * Counts the PostgreSQL round trips of the bench process per activity type (profiling: what each activity of a
 * decision costs in DB calls). Installed once, bench only: it wraps pg's Client#query, through which every pool
 * query and every query of a checked-out client passes; the activity is read from the activity context (local
 * activities have one too). Queries outside an activity (the bench's own setup and history reads) are not counted.
 */
const counts = new Map<string, number>();
let installed = false;

export function installDbProbe(): void {
  if (installed) return;
  installed = true;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
    const activity = currentActivity();
    if (activity) counts.set(activity, (counts.get(activity) ?? 0) + 1);
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

function currentActivity(): string | undefined {
  try {
    return Context.current().info.activityType;
  } catch {
    return undefined;
  }
}

/** The counts so far, to diff two snapshots. */
export function dbQueryCounts(): Map<string, number> {
  return new Map(counts);
}
