import protos, { type temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

// The package is CommonJS: its namespaces are reachable at run time only through the default export.
const EventType = protos.temporal.api.enums.v1.EventType;
const FINAL_DECISIONS = new Set(['proceed', 'approved', 'rejected', 'skipped']);
const DECISION_ATTRIBUTE = 'BackupDecision';
/** What a floor run "decides" (and returns): it completed. */
export const FLOOR_DECISION = 'done';

/** Where the time between the start and the decision went, summed over every task before the decision (ms). */
export interface DecisionBreakdown {
  /** Workflow tasks waiting in the task queue (scheduled -> picked up by the worker). */
  workflowTaskQueue: number;
  /** Workflow tasks on the worker, including the poll response and completion RPCs (started -> completed). */
  workflowTaskRun: number;
  activityQueue: number;
  /** Activities on the worker, including their own database queries and the RPCs (started -> completed). */
  activityRun: number;
  workflowTasks: number;
  activities: number;
  /** Local activities run inside a workflow task (their time is part of workflowTaskRun); counted by their markers. */
  localActivities: number;
}

/** Server-side timestamps of one run (ms since the epoch, sub-millisecond precision kept). */
export interface RunTimings {
  startedAt: number;
  decision: string;
  decidedAt: number;
  completedAt: number | undefined;
  breakdown: DecisionBreakdown;
}

export function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) throw new Error('history event without eventTime');
  return Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6;
}

/**
 * The search attribute values the server stores are payloads; the SDK writes keywords as JSON (`"proceed"`), and
 * older SDKs as a one-element JSON list, so both are accepted.
 */
export function decodeSearchAttribute(payload: Payload | null | undefined): unknown {
  if (!payload?.data) return undefined;
  const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : '';
  if (encoding !== 'json/plain') throw new Error(`unexpected search attribute encoding "${encoding}"`);
  const value: unknown = JSON.parse(Buffer.from(payload.data).toString());
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

/** The final value of BackupDecision set by this event, if it sets one. */
function decisionSetBy(event: HistoryEvent): string | undefined {
  if (event.eventType !== EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) return undefined;
  const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
  const value = decodeSearchAttribute(fields[DECISION_ATTRIBUTE]);
  return typeof value === 'string' && FINAL_DECISIONS.has(value) ? value : undefined;
}

/**
 * Reads the run's start, decision and completion times, and the task-level breakdown up to the decision. The floor
 * workflows (bench/floor-workflows.ts) take no decision: for them (`until: 'completion'`) the decision is the
 * WorkflowExecutionCompleted event, written by the same workflow task completion as the gate's decision upsert; for
 * the gate-shaped floor (`until: 'firstActivity'`) the first ActivityTaskScheduled event, likewise.
 */
export function runTimings(history: History, until: 'decision' | 'completion' | 'firstActivity' = 'decision'): RunTimings {
  const events = history.events ?? [];
  const timeOf = new Map<string, number>();
  const breakdown: DecisionBreakdown = {
    workflowTaskQueue: 0,
    workflowTaskRun: 0,
    activityQueue: 0,
    activityRun: 0,
    workflowTasks: 0,
    activities: 0,
    localActivities: 0,
  };
  let startedAt: number | undefined;
  let decided: { decision: string; at: number } | undefined;
  let completedAt: number | undefined;
  const since = (eventId: unknown, at: number) => at - (timeOf.get(String(eventId)) ?? at);

  for (const event of events) {
    const at = timestampMs(event.eventTime);
    timeOf.set(String(event.eventId), at);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        startedAt = at;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        completedAt = at;
        if (until === 'completion' && !decided) decided = { decision: FLOOR_DECISION, at };
        break;
    }
    if (decided) continue;
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        breakdown.workflowTaskQueue += since(event.workflowTaskStartedEventAttributes?.scheduledEventId, at);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        breakdown.workflowTaskRun += since(event.workflowTaskCompletedEventAttributes?.startedEventId, at);
        breakdown.workflowTasks += 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        breakdown.activityQueue += since(event.activityTaskStartedEventAttributes?.scheduledEventId, at);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        breakdown.activityRun += since(event.activityTaskCompletedEventAttributes?.startedEventId, at);
        breakdown.activities += 1;
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') breakdown.localActivities += 1;
        break;
    }
    const decision =
      until === 'decision'
        ? decisionSetBy(event)
        : until === 'firstActivity' && event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
          ? FLOOR_DECISION
          : undefined;
    if (decision) decided = { decision, at };
  }
  if (startedAt === undefined) throw new Error('history has no WorkflowExecutionStarted event');
  if (!decided)
    throw new Error(
      until === 'decision'
        ? 'history has no UpsertWorkflowSearchAttributes event with a final BackupDecision'
        : until === 'firstActivity'
          ? 'history has no ActivityTaskScheduled event'
          : 'history has no WorkflowExecutionCompleted event',
    );
  return { startedAt, decision: decided.decision, decidedAt: decided.at, completedAt, breakdown };
}
