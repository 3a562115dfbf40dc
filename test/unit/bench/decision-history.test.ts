/**
 * How `npm run bench` reads a run's decision time from its history (bench/decision-latency/history.ts) for the gate
 * and its floors, and how it judges the floor goals (summary.ts): pure logic on synthetic histories.
 */
import protos, { type temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { FLOOR_DECISION, runTimings } from '../../../bench/decision-latency/history.js';
import { checkGoals, FLOOR_GOALS, type FloorRatios } from '../../../bench/decision-latency/summary.js';

const T = protos.temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;
/** The protos type ids and seconds as Long; the reader takes numbers as well (String(), Number()). */
const long = (n: number) => n as unknown as NonNullable<Event['eventId']>;

/** Events at the given ms offsets from a fixed start, numbered in order. */
function history(events: Array<[number, Omit<Event, 'eventId' | 'eventTime'>]>): temporal.api.history.v1.IHistory {
  const base = 1_800_000_000_000;
  return {
    events: events.map(([ms, event], i) => {
      const at = base + ms;
      return { ...event, eventId: long(i + 1), eventTime: { seconds: long(Math.floor(at / 1000)), nanos: (at % 1000) * 1e6 } };
    }),
  };
}

const keyword = (value: string) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});
const upsert = (decision: string): Omit<Event, 'eventId' | 'eventTime'> => ({
  eventType: T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { BackupDecision: keyword(decision) } } },
});
const localActivityMarker = { eventType: T.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'core_local_activity' } };

// Event ids: 1 started, 2 task scheduled, 3 task started, 4 task completed, then the commands of that completion.
const firstTask: Array<[number, Omit<Event, 'eventId' | 'eventTime'>]> = [
  [0, { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED }],
  [1, { eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED }],
  [21, { eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflowTaskStartedEventAttributes: { scheduledEventId: long(2) } }],
  [61, { eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, workflowTaskCompletedEventAttributes: { startedEventId: long(3) } }],
  [61, localActivityMarker],
  [61, localActivityMarker],
];
// Later events: three activities one after the other (ids from 7 on), then completion.
const activities = (from: number, firstId: number): Array<[number, Omit<Event, 'eventId' | 'eventTime'>]> =>
  [0, 1, 2].flatMap((k) => {
    const id = firstId + k * 3;
    const at = from + k * 50;
    return [
      [at, { eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED }],
      [at + 10, { eventType: T.EVENT_TYPE_ACTIVITY_TASK_STARTED, activityTaskStartedEventAttributes: { scheduledEventId: long(id) } }],
      [at + 30, { eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, activityTaskCompletedEventAttributes: { startedEventId: long(id + 1) } }],
    ] as Array<[number, Omit<Event, 'eventId' | 'eventTime'>]>;
  });

describe('runTimings', () => {
  it("takes the gate's decision at the upsert of its final BackupDecision, with the breakdown before it", () => {
    const h = history([
      ...firstTask.slice(0, 4),
      [61, upsert('pending')],
      [61, localActivityMarker],
      [61, localActivityMarker],
      [61, upsert('proceed')],
      ...activities(61, 9),
      [300, { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED }],
    ]);
    const t = runTimings(h);
    expect(t.decision).toBe('proceed');
    expect(t.decidedAt - t.startedAt).toBeCloseTo(61, 6);
    expect(t.completedAt! - t.startedAt).toBeCloseTo(300, 6);
    expect(t.breakdown).toEqual({
      workflowTaskQueue: 20,
      workflowTaskRun: 40,
      activityQueue: 0,
      activityRun: 0,
      workflowTasks: 1,
      activities: 0,
      localActivities: 2,
    });
  });

  it("takes the gate-shape floor's decision at its first ActivityTaskScheduled, not at a later one", () => {
    const h = history([...firstTask, ...activities(61, 7), [300, { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED }]]);
    const t = runTimings(h, 'firstActivity');
    expect(t.decision).toBe(FLOOR_DECISION);
    expect(t.decidedAt - t.startedAt).toBeCloseTo(61, 6);
    // The activities after the decision are not part of its breakdown.
    expect(t.breakdown.activities).toBe(0);
    expect(t.breakdown.localActivities).toBe(2);
  });

  it("takes a floor run's decision at its completion", () => {
    const h = history([...firstTask.slice(0, 4), [62, { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED }]]);
    const t = runTimings(h, 'completion');
    expect(t.decidedAt - t.startedAt).toBeCloseTo(62, 6);
    expect(t.breakdown.workflowTasks).toBe(1);
  });

  it('says what is missing when the history has no decision', () => {
    const h = history(firstTask.slice(0, 4));
    expect(() => runTimings(h)).toThrow('no UpsertWorkflowSearchAttributes event with a final BackupDecision');
    expect(() => runTimings(h, 'firstActivity')).toThrow('no ActivityTaskScheduled event');
    expect(() => runTimings(h, 'completion')).toThrow('no WorkflowExecutionCompleted event');
  });
});

describe('checkGoals against the floor', () => {
  const ratios = (p50: number, throughput: number): FloorRatios => ({
    gateP50VsTwoLocalActivitiesP50: p50,
    gateP99VsTwoLocalActivitiesP99: 1,
    gateP50VsNoopP50: 1,
    gateP99VsNoopP99: 1,
    gateDecisionsPerSecondVsNoopRunsPerSecond: throughput,
    gateDecisionsPerSecondVsTwoLocalActivitiesRunsPerSecond: 1,
    perRound: [],
  });
  const latency = { count: 1, min: 40, mean: 40, p50: 40, p95: 40, p99: 40, max: 40 };
  const floorGoals = (r: FloorRatios) =>
    checkGoals(latency, 60, r)
      .slice(0, 2)
      .map((g) => g.pass);

  it('passes at the bounds and misses beyond them', () => {
    expect(floorGoals(ratios(FLOOR_GOALS.p50VsTwoLocalActivities, FLOOR_GOALS.decisionsPerSecondVsNoop))).toEqual([true, true]);
    expect(floorGoals(ratios(1.151, 0.799))).toEqual([false, false]);
  });
});
