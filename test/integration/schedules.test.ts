import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSettings } from '../../domain/settings/schema.js';
import { applySchedules, noteFor, toScheduleOptions } from '../../schedules/apply.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { declaredSchedules } from '../../schedules/index.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

// The only test file that applies schedules: apply deletes undeclared `sentinel/` schedules it created.
let h: Harness;
const TZ = 'Europe/Berlin';
const config = (withTarget: boolean) =>
  parseSettings({
    timezone: TZ,
    targets: [
      { name: 'sched-cmd', kind: 'command', command: 'true', ...(withTarget ? { schedule: '30 2 * * *' } : {}) },
      { name: 'sched-cal', kind: 'command', command: 'true', schedule: { hour: 4, minute: 15 } },
    ],
  });

beforeAll(async () => {
  h = await createHarness('schedules');
  await h.writeConfig({
    targets: [
      { name: 'sched-cmd', kind: 'command', command: 'true' },
      { name: 'sched-cal', kind: 'command', command: 'true' },
    ],
  });
  await h.startWorker();
});

afterAll(async () => {
  // Only the schedules this file made: other files (e.g. freshness.test.ts) keep schedules of their own on the server.
  const own = new Set([...declaredSchedules({ config: config(true), timezone: TZ }).map((d) => d.id), 'sentinel/hand-made', 'someone-else/keep-me']);
  for await (const s of h.client.schedule.list()) if (own.has(s.scheduleId)) await h.client.schedule.getHandle(s.scheduleId).delete();
  await h?.close();
});

const localHourMinute = (date: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);

describe('schedules on the dev server', () => {
  it('apply creates every declared schedule once; a second apply changes nothing; a dry run changes nothing', async () => {
    const declarations = declaredSchedules({ config: config(true), timezone: TZ });
    const dry = await applySchedules(h.client, declarations, { taskQueue: h.taskQueue, dryRun: true });
    expect(dry.created.length).toBe(declarations.length);
    await expect(h.client.schedule.getHandle('sentinel/config-backup').describe()).rejects.toThrow();

    const first = await applySchedules(h.client, declarations, { taskQueue: h.taskQueue });
    expect(first.created.sort()).toEqual(declarations.map((d) => d.id).sort());
    const second = await applySchedules(h.client, declarations, { taskQueue: h.taskQueue });
    expect(second).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(second.unchanged.length).toBe(declarations.length);
  });

  it('runs the config backup daily at 01:00 in the configured timezone, skipping overlaps, with an explicit catch-up window', async () => {
    const description = await h.client.schedule.getHandle('sentinel/config-backup').describe();
    expect(description.info.nextActionTimes.length).toBeGreaterThanOrEqual(3);
    for (const time of description.info.nextActionTimes.slice(0, 5)) expect(localHourMinute(time)).toBe('01:00');
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.policies.catchupWindow).toBe(6 * 3_600_000);
    expect(description.memo).toMatchObject({ createdBy: 'backup-sentinel schedules apply' });
    const calendar = await h.client.schedule.getHandle('sentinel/pre-backup/sched-cal').describe();
    for (const time of calendar.info.nextActionTimes.slice(0, 3)) expect(localHourMinute(time)).toBe('04:15');
  });

  it('trigger starts a real pre-backup run with a meaningful workflow ID', async () => {
    await h.client.schedule.getHandle('sentinel/pre-backup/sched-cmd').trigger();
    const run = await eventually(
      async () => {
        for await (const wf of h.client.workflow.list({ query: `BackupTarget = 'sched-cmd' AND ExecutionStatus = 'Completed'` })) return wf;
        return undefined;
      },
      60_000,
      500,
    );
    expect(run.workflowId).toMatch(/^pre-backup\/sched-cmd\/scheduled-/);
    expect((await h.client.workflow.getHandle(run.workflowId).result()).decision).toBe('proceed');
  });

  it('removing a target removes its schedule, and never touches schedules it did not create', async () => {
    await h.client.schedule.create({
      scheduleId: 'someone-else/keep-me',
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: 'preBackupWorkflow', taskQueue: h.taskQueue, args: [{ target: 'sched-cmd' }] },
      state: { paused: true },
    });
    await h.client.schedule.create({
      scheduleId: 'sentinel/hand-made',
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: 'preBackupWorkflow', taskQueue: h.taskQueue, args: [{ target: 'sched-cmd' }] },
      state: { paused: true },
    });
    const report = await applySchedules(h.client, declaredSchedules({ config: config(false), timezone: TZ }), { taskQueue: h.taskQueue });
    expect(report.deleted).toEqual(['sentinel/pre-backup/sched-cmd']);
    await expect(h.client.schedule.getHandle('sentinel/pre-backup/sched-cmd').describe()).rejects.toThrow();
    await expect(h.client.schedule.getHandle('someone-else/keep-me').describe()).resolves.toBeTruthy();
    await expect(h.client.schedule.getHandle('sentinel/hand-made').describe()).resolves.toBeTruthy();
  });

  it("keeps an operator's pause when a changed declaration is re-applied", async () => {
    const handle = h.client.schedule.getHandle('sentinel/config-backup');
    await handle.pause((await handle.describe()).state.note);
    const changed = declaredSchedules({ config: config(false), timezone: 'UTC' });
    const report = await applySchedules(h.client, changed, { taskQueue: h.taskQueue });
    expect(report.updated).toContain('sentinel/config-backup');
    const after = await handle.describe();
    expect(after.state.paused).toBe(true);
    for (const time of after.info.nextActionTimes.slice(0, 3)) expect(time.getUTCHours()).toBe(1);
  });
});

// Another actor (npm start, a second apply, an operator) may create or delete a schedule while apply runs, and a busy
// server may fail a describe: each race below is staged at its exact point through apply's hooks, on the real server.
describe('schedules apply under races', () => {
  const declarations = () => declaredSchedules({ config: config(false), timezone: 'UTC' });
  const ids = () => declarations().map((d) => d.id);
  const target = 'sentinel/pre-backup/sched-cal';
  const recreate = async () => {
    const declaration = declarations().find((d) => d.id === target)!;
    await h.client.schedule.create(toScheduleOptions(declaration, h.taskQueue, noteFor(declaration, h.taskQueue)));
  };

  beforeAll(async () => {
    // Start from "everything applied and unchanged".
    await applySchedules(h.client, declarations(), { taskQueue: h.taskQueue });
  });

  it('a schedule deleted between list and describe is created again, the others stay unchanged', async () => {
    const report = await applySchedules(h.client, declarations(), {
      taskQueue: h.taskQueue,
      hooks: { beforeDescribe: (id, attempt) => (id === target && attempt === 1 ? h.client.schedule.getHandle(id).delete() : undefined) },
    });
    expect(report).toMatchObject({ created: [target], updated: [], deleted: [], skipped: [] });
    expect(report.unchanged.sort()).toEqual(
      ids()
        .filter((id) => id !== target)
        .sort(),
    );
    const declaration = declarations().find((d) => d.id === target)!;
    expect((await h.client.schedule.getHandle(target).describe()).state.note).toBe(noteFor(declaration, h.taskQueue));
  });

  it('a schedule created by someone else between describe and create is taken as it is, not an error', async () => {
    let created = 0;
    let deleted = false;
    const report = await applySchedules(h.client, declarations(), {
      taskQueue: h.taskQueue,
      hooks: {
        beforeDescribe: async (id) => {
          if (id !== target || deleted) return;
          deleted = true;
          await h.client.schedule.getHandle(id).delete();
        },
        beforeCreate: async (id) => {
          if (id !== target) return;
          created += 1;
          await recreate();
        },
      },
    });
    expect(created).toBe(1);
    expect(report).toMatchObject({ created: [], updated: [], deleted: [], skipped: [] });
    expect(report.unchanged).toContain(target);
  });

  it('a describe that fails (server unreachable for a moment) is retried with backoff', async () => {
    const proxy = await startTcpProxy({ host: h.temporalAddress.split(':')[0]!, port: Number(h.temporalAddress.split(':')[1]) });
    // No gRPC retry interceptor: each describe attempt fails at once while the path is cut, as a busy server's would.
    const connection = await Connection.connect({ address: `127.0.0.1:${proxy.port}`, interceptors: [] });
    const client = new Client({ connection, dataConverter: sentinelDataConverter() });
    const attempts: number[] = [];
    try {
      const report = await applySchedules(client, declarations(), {
        taskQueue: h.taskQueue,
        describeAttempts: 8,
        describeBackoffMs: 200,
        hooks: {
          beforeDescribe: (id, attempt) => {
            if (id !== target) return;
            attempts.push(attempt);
            if (attempt === 1) proxy.cut();
            if (attempt === 2) proxy.restore();
          },
        },
      });
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(report).toMatchObject({ created: [], updated: [], deleted: [], skipped: [] });
      expect(report.unchanged.sort()).toEqual(ids().sort());
    } finally {
      await connection.close();
      await proxy.close();
    }
  });

  it('a schedule that stays undescribable counts as absent: create finds it there and apply moves on', async () => {
    const proxy = await startTcpProxy({ host: h.temporalAddress.split(':')[0]!, port: Number(h.temporalAddress.split(':')[1]) });
    const connection = await Connection.connect({ address: `127.0.0.1:${proxy.port}`, interceptors: [] });
    const client = new Client({ connection, dataConverter: sentinelDataConverter() });
    const seen: string[] = [];
    try {
      const report = await applySchedules(client, declarations(), {
        taskQueue: h.taskQueue,
        describeAttempts: 2,
        describeBackoffMs: 50,
        hooks: {
          beforeDescribe: (id, attempt) => {
            if (id === target && attempt === 1 && !seen.includes('create')) proxy.cut();
          },
          beforeCreate: async (id) => {
            if (id !== target) return;
            seen.push('create');
            proxy.restore();
            // gRPC backs off reconnecting after the cut; wait until the channel carries calls again.
            await eventually(() => connection.workflowService.getSystemInfo({}).then(() => true), 30_000, 100);
          },
        },
      });
      expect(seen).toEqual(['create']);
      expect(report).toMatchObject({ created: [], updated: [], deleted: [], skipped: [] });
      expect(report.unchanged).toContain(target);
    } finally {
      await connection.close();
      await proxy.close();
    }
  });

  it('a schedule listed for deletion but already gone is passed over, not an error', async () => {
    const stale = { ...declarations().find((d) => d.id === target)!, id: 'sentinel/pre-backup/stale' };
    await h.client.schedule.create(toScheduleOptions(stale, h.taskQueue, noteFor(stale, h.taskQueue)));
    await eventually(async () => {
      for await (const s of h.client.schedule.list()) if (s.scheduleId === stale.id) return true;
      return false;
    });
    const report = await applySchedules(h.client, declarations(), {
      taskQueue: h.taskQueue,
      hooks: { beforeDelete: (id) => (id === stale.id ? h.client.schedule.getHandle(id).delete() : undefined) },
    });
    expect(report).toMatchObject({ created: [], updated: [], deleted: [], skipped: [] });
    await expect(h.client.schedule.getHandle(stale.id).describe()).rejects.toThrow(ScheduleNotFoundError);
  });
});
