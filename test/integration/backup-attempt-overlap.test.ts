import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preBackupWorkflowId, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { activityStarts, isAlive, processesMatching, startedActivity } from '../helpers/faults.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { harnessWorkerOptions, spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// Issue #11 item 5: a worker SIGKILLed during a command backup left the command running; the retry on the next
// worker started it again while the orphan still ran, so the log read start, start, end, end. A retry must stop
// the earlier attempt (its whole process group) before it starts.
let h: Harness;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  h = await createHarness('attempt-overlap');
  await mkdir(h.backupDir, { recursive: true });
});

afterAll(async () => {
  for (const w of workers) await w.stop(5_000);
  await h?.close();
});

describe('a command backup whose worker is SIGKILLed mid-command', () => {
  it('is retried only after the orphaned command (and its children) were stopped: never two at once', async () => {
    const taskQueue = `${h.taskQueue}-overlap`;
    const log = path.join(h.dir, 'overlap.log');
    const marker = `overlap-marker-${Date.now()}`;
    const flag = path.join(h.dir, 'overlap.first-attempt');
    // Ten minutes, with a fraction no other process uses, so the child (sleep) can be found by its command line.
    const sleepSeconds = `600.${String(Date.now() % 100_000).padStart(5, '0')}`;
    // The first attempt outlives the retry's start by minutes (a shell with a child, sleep: the whole group must
    // die); a retry (the flag exists) finishes at once.
    const command = [
      `if [ -f ${flag} ]; then echo "start $$" >> ${log}; echo "end $$" >> ${log}; exit 0; fi`,
      `touch ${flag}; echo "start $$" >> ${log}; sleep ${sleepSeconds} # ${marker}`,
      `echo "end $$" >> ${log}`,
    ].join('\n');
    await h.writeConfig({ targets: [{ name: 'slow-command', kind: 'command', command, timeoutSeconds: 120, policy: 'delay' }] });
    const spawn = (name: string) => {
      const worker = spawnWorkerProcess(harnessWorkerOptions(h, name, taskQueue));
      workers.push(worker);
      return worker;
    };
    const first = spawn('overlap-1');
    await first.ready;
    const handle = await h.client.workflow.start(preBackupWorkflow, {
      taskQueue,
      workflowId: preBackupWorkflowId('slow-command', `${new Date().toISOString()}-overlap`),
      args: [{ target: 'slow-command' }],
    });
    const orphanPids = await eventually(async () => {
      const running = await startedActivity(handle, 'runBackup');
      const pids = await processesMatching(marker);
      const started = await readFile(log, 'utf8').catch(() => '');
      return running && pids.length > 0 && started.includes('start') ? pids : undefined;
    }, 60_000);

    await first.kill();
    expect((await first.exited).signal).toBe('SIGKILL');
    // What a crash leaves: the command's shell and its sleep outlive the worker.
    expect(orphanPids.some(isAlive)).toBe(true);

    const second = spawn('overlap-2');
    await second.ready;
    const result = (await handle.result()) as PreBackupResult;
    expect(result.backup?.status).toBe('completed');
    // Ten minutes of sleep were left: only the retry's stop can have ended the orphan (the shell and its sleep) this
    // early. Zombies do not count: an orphan reparented to an init that does not reap them stays one, dead.
    expect(await processesMatching(marker)).toEqual([]);
    expect(await processesMatching(`sleep\u0000${sleepSeconds}`)).toEqual([]);

    // The orphan was stopped before the retry's command started: one start without an end, then one whole run.
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['start', 'start', 'end']);
    const [firstStart, secondStart, end] = lines.map((l) => l.split(' ')[1]);
    expect(secondStart).not.toBe(firstStart);
    expect(end).toBe(secondStart);
    const starts = await activityStarts(handle, 'runBackup');
    expect(starts.map((s) => s.attempt)).toEqual([2]);
  }, 300_000);
});
