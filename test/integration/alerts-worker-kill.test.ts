/**
 * Trigger and resolve arrive once each (accepted once per channel) under retries and a worker SIGKILLed between
 * them, mid-delivery: real worker processes (workers/main.ts), the real dev server and PostgreSQL, a real receiver.
 * Also: a worker whose alert channel names a missing variable refuses to start, naming the setting.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preBackupWorkflowId, type PreBackupInput } from '../../domain/pre-backup/contract.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { startAlertReceiver, type AlertReceiver, type ReceivedRequest } from '../helpers/alert-receiver.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { harnessWorkerOptions, spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const SECRET = 'kill-test-secret-0123456789abcdef0123';
let h: Harness;
let receiver: AlertReceiver;
const workers: WorkerProcess[] = [];
let env: Record<string, string>;

/** The event a request carries: trigger or resolve, and of which incident. */
const eventOf = (r: ReceivedRequest) =>
  r.path === '/pd' ? `${r.json.event_action}:${r.json.dedup_key}` : `${r.json.action as string}:${r.json.incidentKey as string}`;

beforeAll(async () => {
  h = await createHarness('alerts-kill');
  receiver = await startAlertReceiver({ '/hook': 'webhook', '/pd': 'pagerduty' });
  // Every event's first request fails (500), except the hook's first resolve, which is never answered at all.
  const seen = new Map<string, number>();
  const answer = (path: string) => (_n: number, r: ReceivedRequest) => {
    const key = `${path} ${eventOf(r)}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > 1) return path === '/pd' ? 202 : 200;
    return path === '/hook' && r.json.action === 'resolve' ? 'hang' : 500;
  };
  receiver.behave('/hook', answer('/hook'));
  receiver.behave('/pd', answer('/pd'));
  await h.writeConfig({
    targets: [{ name: 'flaky', kind: 'command', command: `test -f ${path.join(h.dir, 'ok')}`, policy: 'delay', threshold: 0.99 }],
    alerts: {
      channels: [
        { name: 'hook', kind: 'webhook', urlEnv: 'K_HOOK_URL', secretEnv: 'K_HOOK_SECRET', minSeverity: 'info', timeoutSeconds: 20 },
        { name: 'oncall', kind: 'pagerduty', routingKeyEnv: 'K_PD_KEY', eventsUrl: receiver.url('/pd') },
      ],
    },
  });
  env = { K_HOOK_URL: receiver.url('/hook'), K_HOOK_SECRET: SECRET, K_PD_KEY: 'kill-test-routing-key' };
});

afterAll(async () => {
  for (const w of workers) await w.stop(5_000);
  await h?.close();
  await receiver?.close();
});

function spawnWorker(name: string, extraEnv: Record<string, string | undefined> = env): WorkerProcess {
  const worker = spawnWorkerProcess({ ...harnessWorkerOptions(h, name, h.taskQueue), env: extraEnv });
  workers.push(worker);
  return worker;
}

const start = (input: PreBackupInput) =>
  h.client.workflow.start(preBackupWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(input.target, `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`),
    args: [input],
  });

async function deliveryRows(incidentKey: string) {
  const rows = await h.pool.query(`SELECT channel, action, status, attempts FROM alert_deliveries WHERE incident_key = $1 ORDER BY action DESC, channel`, [
    incidentKey,
  ]);
  return rows.rows.map((r) => [r.action, r.channel, r.status, r.attempts]);
}

describe('alert delivery across a worker SIGKILL', () => {
  it('a worker whose channel names a missing variable refuses to start, naming the setting and not starting to poll', async () => {
    const broken = spawnWorker('alerts-missing-var', { ...env, K_PD_KEY: undefined });
    await expect(broken.ready).rejects.toThrow(/alerts\.channels\[1\]\.routingKeyEnv: environment variable K_PD_KEY is not set/);
    expect((await broken.exited).code).not.toBe(0);
  });

  it('trigger then resolve are each accepted once per channel, through 500s, a hung request and a SIGKILL mid-resolve', async () => {
    const first = spawnWorker('alerts-kill-a');
    await first.ready;
    const failed = await start({ target: 'flaky' });
    expect(await failed.result()).toMatchObject({ backup: { status: 'failed' } });
    const incident = await eventually(async () => {
      const r = await h.pool.query(`SELECT incident_key FROM alerts WHERE workflow_id = $1 AND kind = 'backup-failed'`, [failed.workflowId]);
      return r.rows[0]?.incident_key as string | undefined;
    });
    // each channel: a 500, then accepted on the activity's own retry
    expect(await deliveryRows(incident)).toEqual([
      ['trigger', 'hook', 'delivered', 2],
      ['trigger', 'oncall', 'delivered', 2],
    ]);

    await writeFile(path.join(h.dir, 'ok'), '');
    const succeeded = await start({ target: 'flaky' });
    // recordBackupRun's resolve: PagerDuty goes through (500, then 202); the webhook's request hangs...
    await eventually(async () => receiver.accepted('/pd').some((r) => r.json.event_action === 'resolve'), 60_000);
    await eventually(async () => receiver.requests.some((r) => r.path === '/hook' && r.json.action === 'resolve'), 60_000);
    // ...and the worker dies with it in flight.
    await first.kill();
    const second = spawnWorker('alerts-kill-b');
    await second.ready;
    // Temporal retries recordBackupRun once its 30 s start-to-close passes; the retry finishes only the webhook.
    expect(await succeeded.result()).toMatchObject({ backup: { status: 'completed' } });
    await eventually(async () => receiver.accepted('/hook').some((r) => r.json.action === 'resolve'), 30_000);

    const accepted = (p: string) => receiver.accepted(p).map(eventOf).sort();
    expect(accepted('/hook')).toEqual([`resolve:${incident}`, `trigger:${incident}`]);
    expect(accepted('/pd')).toEqual([`resolve:${incident}`, `trigger:${incident}`]);
    // the hung request and its retry carry one delivery ID, so a receiver that did process the first can drop the second
    const hookResolves = receiver.requests.filter((r) => r.path === '/hook' && r.json.action === 'resolve');
    expect(hookResolves.map((r) => r.answer)).toEqual(['hang', 200]);
    expect(new Set(hookResolves.map((r) => r.headers['x-sentinel-delivery'])).size).toBe(1);
    expect(await deliveryRows(incident)).toEqual([
      ['trigger', 'hook', 'delivered', 2],
      ['trigger', 'oncall', 'delivered', 2],
      ['resolve', 'hook', 'delivered', 1], // the attempt cut by the SIGKILL never finished, so it is not counted
      ['resolve', 'oncall', 'delivered', 2],
    ]);
  });
});
