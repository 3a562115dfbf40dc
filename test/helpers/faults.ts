import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Evidence helpers for the fault tests: what the server and the machine say happened, never a timing guess. */

type Timestamp = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

export function timestampMs(ts: Timestamp): number {
  if (!ts) return NaN;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

export interface PendingActivity {
  attempt: number;
  lastWorkerIdentity: string;
  heartbeatAt: number;
  startedAt: number;
}

/** The activity of this type the server reports as started (running on some worker), if any. */
export async function startedActivity(handle: WorkflowHandle, activityType: string): Promise<PendingActivity | undefined> {
  const { raw } = await handle.describe();
  const pending = (raw.pendingActivities ?? []).find(
    (a) => a.activityType?.name === activityType && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
  );
  if (!pending) return undefined;
  return {
    attempt: pending.attempt ?? 0,
    lastWorkerIdentity: pending.lastWorkerIdentity ?? '',
    heartbeatAt: timestampMs(pending.lastHeartbeatTime as Timestamp),
    startedAt: timestampMs(pending.lastStartedTime as Timestamp),
  };
}

export interface ActivityStart {
  activityType: string;
  attempt: number;
  identity: string;
  at: number;
}

/** ActivityTaskStarted events (the server records the attempt that finished the activity) with their types. */
export async function activityStarts(handle: WorkflowHandle, activityType?: string): Promise<ActivityStart[]> {
  const history = await handle.fetchHistory();
  const types = new Map<string, string>();
  const starts: ActivityStart[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const type = types.get(String(started.scheduledEventId)) ?? '';
      if (!activityType || type === activityType)
        starts.push({ activityType: type, attempt: started.attempt ?? 0, identity: started.identity ?? '', at: timestampMs(event.eventTime as Timestamp) });
    }
  }
  return starts;
}

/** When each timer of the run was started and fired (NaN while it has not fired). */
export async function timers(handle: WorkflowHandle): Promise<Array<{ startedAt: number; firedAt: number }>> {
  const history = await handle.fetchHistory();
  const byId = new Map<string, { startedAt: number; firedAt: number }>();
  for (const event of history.events ?? []) {
    if (event.timerStartedEventAttributes)
      byId.set(event.timerStartedEventAttributes.timerId ?? '', { startedAt: timestampMs(event.eventTime as Timestamp), firedAt: NaN });
    if (event.timerFiredEventAttributes) {
      const timer = byId.get(event.timerFiredEventAttributes.timerId ?? '');
      if (timer) timer.firedAt = timestampMs(event.eventTime as Timestamp);
    }
  }
  return [...byId.values()];
}

/** Workflow-task identities after a point in time: which worker processes moved the run on. */
export async function workflowTaskIdentities(handle: WorkflowHandle, after = 0): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowTaskStartedEventAttributes && timestampMs(e.eventTime as Timestamp) > after)
    .map((e) => e.workflowTaskStartedEventAttributes!.identity ?? '');
}

/** PIDs of live processes whose command line contains `fragment` (e.g. the artifact name on a pg_dump). */
export async function processesMatching(fragment: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(fragment) && !(await isZombie(Number(entry)))) pids.push(Number(entry));
  }
  return pids;
}

async function isZombie(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a process that is not our child (an orphan reparented to init) to go away. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && !(await isZombie(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every file below `dir` (relative paths, sorted); empty when it does not exist. */
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** The file name pre-backup runs give their dump (activities/backup: `<workflowId, made safe>_<runId>.dump`). */
export function dumpNameFor(workflowId: string, runId: string): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}_${runId}`;
}
