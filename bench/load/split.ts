import protos from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { mapBounded } from '../decision-latency/runs.js';

// The package is CommonJS: its namespaces are reachable at run time only through the default export.
const EventType = protos.temporal.api.enums.v1.EventType;

export interface WorkerShare {
  worker: string;
  identity: string;
  /** Runs whose first workflow task (where the gate decides) this worker completed. */
  runsDecided: number;
  /** Runs whose `runBackup` activity this worker started. */
  backupsRun: number;
  workflowTasks: number;
  activities: number;
}

export interface WorkSplit {
  runsRead: number;
  perWorker: WorkerShare[];
  /** Runs whose tasks all went to one worker, and runs that moved between workers (e.g. after a cache eviction). */
  runsOnOneWorker: number;
  runsOnSeveralWorkers: number;
  /** Tasks done by an identity not among the bench's workers (should be 0). */
  unknownIdentityTasks: number;
}

/**
 * Which worker process did what, from each run's history: the identity recorded on WorkflowTaskStarted and
 * ActivityTaskStarted events is the SDK's default `<pid>@<host>`, and the bench knows each worker's pid.
 */
export async function workSplit(
  client: Client,
  workflowIds: readonly string[],
  workers: ReadonlyArray<{ name: string; pid: number }>,
  stop: AbortSignal,
): Promise<WorkSplit> {
  const nameOf = (identity: string) => workers.find((w) => identity.startsWith(`${w.pid}@`))?.name;
  const shares = new Map<string, WorkerShare>(
    workers.map((w) => [w.name, { worker: w.name, identity: `${w.pid}@…`, runsDecided: 0, backupsRun: 0, workflowTasks: 0, activities: 0 }]),
  );
  let unknownIdentityTasks = 0;
  let runsOnOneWorker = 0;
  let runsOnSeveralWorkers = 0;

  await mapBounded(
    workflowIds,
    8,
    async (workflowId) => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const activityTypeOf = new Map<string, string>();
      const touched = new Set<string>();
      let decided = false;
      const credit = (identity: string | null | undefined, what: (share: WorkerShare) => void) => {
        const name = nameOf(identity ?? '');
        if (!name) {
          unknownIdentityTasks += 1;
          return;
        }
        const share = shares.get(name)!;
        share.identity = identity!;
        touched.add(name);
        what(share);
      };
      for (const event of history.events ?? []) {
        switch (event.eventType) {
          case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activityTypeOf.set(String(event.eventId), event.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
            break;
          case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            credit(event.workflowTaskStartedEventAttributes?.identity, (share) => {
              share.workflowTasks += 1;
              if (!decided) share.runsDecided += 1;
            });
            decided = true;
            break;
          case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
            const attributes = event.activityTaskStartedEventAttributes;
            const type = activityTypeOf.get(String(attributes?.scheduledEventId));
            credit(attributes?.identity, (share) => {
              share.activities += 1;
              if (type === 'runBackup') share.backupsRun += 1;
            });
            break;
          }
        }
      }
      if (touched.size > 1) runsOnSeveralWorkers += 1;
      else runsOnOneWorker += 1;
    },
    stop,
  );

  return { runsRead: workflowIds.length, perWorker: [...shares.values()], runsOnOneWorker, runsOnSeveralWorkers, unknownIdentityTasks };
}
