import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import pMap from 'p-map';
import { preBackupScheduleId, type TargetFreshness } from '../../domain/freshness/contract.js';

/** What the freshness check needs to know of one schedule; null when the server has no schedule of that ID. */
export type ScheduleLookup = (scheduleId: string) => Promise<{ paused: boolean; nextActionTimes: Date[] } | null>;

/** Describes schedules through a Temporal client (the activity's worker client, or the CLI's). */
export function scheduleLookup(client: Client): ScheduleLookup {
  return async (scheduleId) => {
    try {
      const description = await client.schedule.getHandle(scheduleId).describe();
      return { paused: description.state.paused, nextActionTimes: description.info.nextActionTimes };
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return null;
      throw error;
    }
  };
}

/** Describes at most this many schedules at once: enough for 10,000 targets in seconds, gentle on the server. */
const CONCURRENCY = 8;

/**
 * The state of each target's pre-backup schedule. Describe is authoritative (a list would read the eventually
 * consistent visibility store, which lags a pause). A schedule that cannot be described is `unknown` with the
 * reason; the others are unaffected. Without a client every state is `unknown`.
 */
export async function describeSchedules(
  lookup: ScheduleLookup | null,
  targets: readonly string[],
  onProgress: (progress: Record<string, unknown>) => void = () => undefined,
): Promise<Map<string, TargetFreshness['schedule']>> {
  const states = new Map<string, TargetFreshness['schedule']>();
  await pMap(
    targets,
    async (target) => {
      const id = preBackupScheduleId(target);
      if (!lookup) {
        states.set(target, { id, state: 'unknown', nextRunAt: null, error: 'no Temporal client' });
        return;
      }
      try {
        const found = await lookup(id);
        if (found === null) states.set(target, { id, state: 'missing', nextRunAt: null });
        else
          states.set(target, {
            id,
            state: found.paused ? 'paused' : 'active',
            nextRunAt: found.paused ? null : (found.nextActionTimes[0]?.toISOString() ?? null),
          });
      } catch (error) {
        states.set(target, { id, state: 'unknown', nextRunAt: null, error: (error as Error).message });
      }
      if (states.size % 100 === 0) onProgress({ step: 'schedules', described: states.size, of: targets.length });
    },
    { concurrency: CONCURRENCY },
  );
  return states;
}
