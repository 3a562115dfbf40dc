/**
 * Alert channels end to end (issue #15 items 1 and 2): the pre-backup workflow on the real dev server, the worker's
 * sendAlert / runBackup / recordBackupRun activities, PostgreSQL, and a real HTTP receiver on 127.0.0.1 standing in
 * for a signed webhook, Slack and PagerDuty (each body checked against the vendor's documented shape).
 */
import { writeFile } from 'node:fs/promises';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_SECONDS, verifyWebhook } from '../../capabilities/alerts/signature.js';
import { gateIncidentKey } from '../../domain/alerts/incident.js';
import { approvalCommands } from '../../domain/alerts/payloads.js';
import { preBackupWorkflowId, type PreBackupInput } from '../../domain/pre-backup/contract.js';
import { decideUpdate, preBackupWorkflow, stateQuery } from '../../workflows/pre-backup.js';
import { BackupTarget } from '../../workflows/search-attributes.js';
import { startAlertReceiver, type AlertReceiver, type ReceivedRequest } from '../helpers/alert-receiver.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, eventually, silentLogger, type Harness } from '../helpers/harness.js';
import { raiseAlert, resolveAlert, type AlertingDeps } from '../../capabilities/alerts/service.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';

const RISKY = { successRate: 0.2, recentFailures: 4 };
const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const UI = 'http://ui.example.test:8233';

let h: Harness;
let receiver: AlertReceiver;

beforeAll(async () => {
  h = await createHarness('alerts');
  receiver = await startAlertReceiver({
    '/hook': 'webhook',
    '/slack': 'slack',
    '/pd': 'pagerduty',
    '/bad4xx': 'slack',
    '/bad5xx': 'webhook',
    '/hang': 'webhook',
  });
  receiver.behave('/bad4xx', () => 404);
  receiver.behave('/bad5xx', () => 503);
  receiver.behave('/hang', () => 'hang');
  Object.assign(process.env, {
    T_HOOK_URL: receiver.url('/hook'),
    T_HOOK_SECRET: SECRET,
    T_SLACK_URL: receiver.url('/slack'),
    T_PD_KEY: 'pd-routing-key-0123456789abcdef',
    T_BAD4XX_URL: receiver.url('/bad4xx'),
    T_BAD5XX_URL: receiver.url('/bad5xx'),
    T_HANG_URL: receiver.url('/hang'),
  });
  const broken = { timeoutSeconds: 1, maxAttempts: 2, minSeverity: 'info' };
  await h.writeConfig({
    targets: [
      { name: 'manual-cmd', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
      { name: 'flaky-cmd', kind: 'command', command: `test -f ${path.join(h.dir, 'flaky-ok')}`, policy: 'delay', threshold: 0.99 },
      { name: 'noisy-cmd', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
      { name: 'slowish', kind: 'command', command: `sleep "$(cat '${path.join(h.dir, 'sleep-seconds')}')"`, policy: 'delay', threshold: 0.99 },
    ],
    alerts: {
      channels: [
        { name: 'hook', kind: 'webhook', urlEnv: 'T_HOOK_URL', secretEnv: 'T_HOOK_SECRET', minSeverity: 'info' },
        { name: 'ops-slack', kind: 'slack', urlEnv: 'T_SLACK_URL', minSeverity: 'info' },
        { name: 'oncall', kind: 'pagerduty', routingKeyEnv: 'T_PD_KEY', minSeverity: 'warning', eventsUrl: receiver.url('/pd') },
        { name: 'bad4xx', kind: 'slack', urlEnv: 'T_BAD4XX_URL', ...broken },
        { name: 'bad5xx', kind: 'webhook', urlEnv: 'T_BAD5XX_URL', secretEnv: 'T_HOOK_SECRET', ...broken },
        { name: 'hang', kind: 'webhook', urlEnv: 'T_HANG_URL', secretEnv: 'T_HOOK_SECRET', ...broken },
      ],
      // the broken channels only hear about noisy-cmd
      routes: [{ targets: ['noisy-cmd'], channels: ['bad4xx', 'bad5xx', 'hang'] }],
    },
  });
  await h.startWorker({ webUi: { url: UI, namespace: 'default' } });
});

afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const start = (input: PreBackupInput) =>
  h.client.workflow.start(preBackupWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(input.target, `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`),
    args: [input],
    typedSearchAttributes: [{ key: BackupTarget, value: input.target }],
  });

/** Requests to `path` about `incidentKey` (every shape carries it: incidentKey, dedup_key, or the context block). */
function about(path: string, incidentKey: string, action: 'trigger' | 'resolve'): ReceivedRequest[] {
  return receiver.accepted(path).filter((r) => {
    if (path === '/pd') return r.json.dedup_key === incidentKey && r.json.event_action === action;
    if (path === '/slack') return r.body.includes(incidentKey) && (action === 'resolve') === r.body.includes('Resolved:');
    return r.json.incidentKey === incidentKey && r.json.action === action;
  });
}

function expectSigned(request: ReceivedRequest): void {
  const timestamp = request.headers['x-sentinel-timestamp'] as string;
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(REPLAY_WINDOW_SECONDS);
  expect(request.headers['x-sentinel-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  expect(verifyWebhook(SECRET, { timestamp, signature: request.headers['x-sentinel-signature'] as string }, request.body)).toBe(true);
  expect(verifyWebhook('another-secret-another-secret-1234', { timestamp, signature: request.headers['x-sentinel-signature'] as string }, request.body)).toBe(
    false,
  );
}

async function deliveries(incidentKey: string) {
  const rows = await h.pool.query(
    `SELECT channel, action, status, http_status, attempts, last_error, delivered_at, last_attempt_at FROM alert_deliveries WHERE incident_key = $1 ORDER BY action DESC, channel`,
    [incidentKey],
  );
  return rows.rows as Array<{
    channel: string;
    action: string;
    status: string;
    http_status: number | null;
    attempts: number;
    last_error: string | null;
    delivered_at: Date | null;
    last_attempt_at: Date;
  }>;
}

describe('alert channels', () => {
  it('an approval wait: signed webhook, Slack with the approve/reject commands and the run link, a PagerDuty trigger; approving resolves all three once', async () => {
    const handle = await start({ target: 'manual-cmd', context: RISKY });
    const { runId } = await handle.describe();
    const incident = gateIncidentKey(handle.workflowId, runId);
    await eventually(
      async () => about('/hook', incident, 'trigger').length && about('/slack', incident, 'trigger').length && about('/pd', incident, 'trigger').length,
    );

    const [hook] = about('/hook', incident, 'trigger');
    expectSigned(hook!);
    expect(hook!.json).toMatchObject({ kind: 'preventive', severity: 'critical', target: 'manual-cmd', workflowId: handle.workflowId, action: 'trigger' });
    expect(hook!.headers['x-sentinel-delivery']).toBe(`${hook!.json.dedupeKey}@hook`);

    const [slack] = about('/slack', incident, 'trigger');
    expect(slack!.problems).toEqual([]);
    const commands = approvalCommands(handle.workflowId);
    expect(slack!.body).toContain(JSON.stringify(commands.approve).slice(1, -1));
    expect(slack!.body).toContain(JSON.stringify(commands.reject).slice(1, -1));
    expect(slack!.body).toContain(`${UI}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`);
    expect(slack!.body).toMatch(/\*Risk\*\\ncritical/);

    const [pd] = about('/pd', incident, 'trigger');
    expect(pd!.problems).toEqual([]);
    expect(pd!.json).toMatchObject({
      routing_key: 'pd-routing-key-0123456789abcdef',
      event_action: 'trigger',
      dedup_key: incident,
      payload: { source: 'manual-cmd', severity: 'critical' },
    });
    // the routing key is a secret: not in the row the alert is stored as
    const stored = await h.pool.query(`SELECT row_to_json(a)::text AS row FROM alerts a WHERE incident_key = $1`, [incident]);
    expect(stored.rows[0].row).not.toContain('pd-routing-key');

    // the receiver has the requests before the activity has recorded them and returned: wait for the gate
    await eventually(async () => (await handle.query(stateQuery)).phase === 'awaiting-approval');
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice', reason: 'disk checked' }] });
    expect(await handle.result()).toMatchObject({ decision: 'approved', backup: { status: 'completed' } });
    await eventually(
      async () => about('/hook', incident, 'resolve').length && about('/slack', incident, 'resolve').length && about('/pd', incident, 'resolve').length,
    );
    expect(about('/pd', incident, 'resolve').map((r) => r.json)).toEqual([
      { routing_key: 'pd-routing-key-0123456789abcdef', event_action: 'resolve', dedup_key: incident },
    ]);
    const [resolveHook] = about('/hook', incident, 'resolve');
    expectSigned(resolveHook!);
    expect(resolveHook!.json).toMatchObject({ action: 'resolve', incidentKey: incident, resolution: 'approved by alice: disk checked' });
    expect(about('/slack', incident, 'resolve')[0]!.problems).toEqual([]);
    // once each: recordBackupRun resolved the same gate again, which sent nothing more
    for (const p of ['/hook', '/slack', '/pd']) {
      expect(about(p, incident, 'trigger')).toHaveLength(1);
      expect(about(p, incident, 'resolve')).toHaveLength(1);
    }
    expect((await deliveries(incident)).map((d) => [d.action, d.channel, d.status, d.attempts])).toEqual([
      ['trigger', 'hook', 'delivered', 1],
      ['trigger', 'oncall', 'delivered', 1],
      ['trigger', 'ops-slack', 'delivered', 1],
      ['resolve', 'hook', 'delivered', 1],
      ['resolve', 'oncall', 'delivered', 1],
      ['resolve', 'ops-slack', 'delivered', 1],
    ]);

    const env = { DATABASE_URL: h.databaseUrl, SENTINEL_CONFIG: h.configPath, SENTINEL_DATA_DIR: h.dir };
    const listed = await runCli(['alerts', 'list', '--target', 'manual-cmd', '--json'], env);
    expect(listed.code).toBe(0);
    const alert = (JSON.parse(listed.stdout).alerts as Array<Record<string, unknown>>).find((a) => a.incidentKey === incident);
    expect(alert).toMatchObject({ kind: 'preventive', open: false, resolution: 'approved by alice: disk checked' });
    expect((alert!.deliveries as unknown[]).length).toBe(6);
    expect(listed.stdout).not.toContain('pd-routing-key');
    const human = await runCli(['alerts', 'list', '--target', 'manual-cmd'], env);
    expect(human.stdout).toContain('trigger -> oncall (pagerduty): delivered HTTP 202, 1 attempt(s)');
    expect(human.stdout).toContain('resolve -> ops-slack (slack): delivered HTTP 200, 1 attempt(s)');
    const open = await runCli(['alerts', 'list', '--target', 'manual-cmd', '--open', '--json'], env);
    expect((JSON.parse(open.stdout).alerts as Array<{ incidentKey: string }>).some((a) => a.incidentKey === incident)).toBe(false);
  });

  it('a failed backup alerts; the next successful backup of the target resolves it on the same channels with the same dedup key', async () => {
    const failed = await start({ target: 'flaky-cmd' });
    expect(await failed.result()).toMatchObject({ backup: { status: 'failed' } });
    const row = await eventually(async () => {
      const r = await h.pool.query(`SELECT incident_key FROM alerts WHERE workflow_id = $1 AND kind = 'backup-failed'`, [failed.workflowId]);
      return r.rows[0] as { incident_key: string } | undefined;
    });
    const incident = row.incident_key;
    expect(about('/pd', incident, 'trigger')).toHaveLength(1);
    expect(about('/pd', incident, 'trigger')[0]!.json).toMatchObject({ payload: { severity: 'critical', source: 'flaky-cmd' } });

    await writeFile(path.join(h.dir, 'flaky-ok'), '');
    const succeeded = await start({ target: 'flaky-cmd' });
    expect(await succeeded.result()).toMatchObject({ backup: { status: 'completed' } });
    await eventually(
      async () => about('/pd', incident, 'resolve').length && about('/hook', incident, 'resolve').length && about('/slack', incident, 'resolve').length,
    );
    expect(about('/hook', incident, 'resolve')[0]!.json).toMatchObject({ action: 'resolve', resolution: `backup succeeded (${succeeded.workflowId})` });
    const alert = await h.pool.query(`SELECT resolved_at FROM alerts WHERE incident_key = $1`, [incident]);
    expect(alert.rows[0].resolved_at).not.toBeNull();
  });

  it('a 4xx is recorded non-retryable, a 5xx retried then failed, a receiver that never answers times out; none of them holds up the good channels or the gate', async () => {
    const handle = await start({ target: 'noisy-cmd', context: RISKY, approvalTimeoutMs: 3000 });
    const { runId } = await handle.describe();
    // preventive, then approval-timeout: the gate is not held up by its alerts' broken channels
    expect(await handle.result()).toMatchObject({ decision: 'skipped' });
    const incident = gateIncidentKey(handle.workflowId, runId);
    const rows = (await deliveries(incident)).filter((d) => d.action === 'trigger');
    const by = Object.fromEntries(rows.map((d) => [d.channel, d]));
    expect(by.bad4xx).toMatchObject({ status: 'rejected', http_status: 404, attempts: 1 });
    expect(by.bad5xx).toMatchObject({ status: 'failed', http_status: 503, attempts: 2, last_error: expect.stringContaining('HTTP 503') });
    expect(by.hang).toMatchObject({ status: 'failed', http_status: null, attempts: 2, last_error: 'no answer within 1000 ms' });
    for (const good of ['hook', 'ops-slack', 'oncall']) expect(by[good]).toMatchObject({ status: 'delivered', attempts: 1 });
    // in parallel: the good channels were done before the hanging one gave up
    expect(by.hook!.delivered_at!.getTime()).toBeLessThan(by.hang!.last_attempt_at.getTime());
    // the alert stays stored, and its errors never show the channel URLs (the credential for Slack)
    const alert = await h.pool.query(`SELECT count(*)::int AS n FROM alerts WHERE incident_key = $1`, [incident]);
    expect(alert.rows[0].n).toBe(1);
    for (const row of rows) expect(row.last_error ?? '').not.toContain('127.0.0.1');
    // the broken channels heard only noisy-cmd (routes)
    expect(receiver.requests.filter((r) => r.path === '/bad4xx').every((r) => r.body.includes('noisy-cmd'))).toBe(true);
    // a trigger that failed on a channel gets no resolve there
    const resolves = (await deliveries(incident)).filter((d) => d.action === 'resolve').map((d) => d.channel);
    expect(resolves.sort()).toEqual(['hook', 'oncall', 'ops-slack']);
  });

  it('an anomaly incident alerts once when it opens and resolves on the same channels when it closes', async () => {
    const sleepFile = path.join(h.dir, 'sleep-seconds');
    const now = Date.now();
    for (let i = 0; i < 12; i++)
      await insertBackupRun(h.pool, {
        backupId: `slowish-seed-${i}`,
        target: 'slowish',
        startedAt: new Date(now - (30 - i) * 3_600_000),
        endedAt: null,
        status: 'completed',
        source: 'import',
        durationSeconds: 0.04 + 0.01 * (i % 3),
        sizeBytes: null,
      });
    const run = async (seconds: number) => {
      await writeFile(sleepFile, String(seconds));
      return (await start({ target: 'slowish' })).result();
    };
    const slow = await run(2);
    const opened = slow.anomalyCheck!.incidents.opened[0]!;
    expect(slow.anomalyCheck!.alertsSent).toEqual([opened.incidentId]);
    const incident = `anomaly-incident:${opened.incidentId}`;
    expect(about('/pd', incident, 'trigger')).toHaveLength(1);
    expect(about('/pd', incident, 'resolve')).toHaveLength(0);

    const quick = await run(0);
    expect(quick.anomalyCheck!.incidents.closed).toEqual([{ ...opened, reason: 'recovered' }]);
    await eventually(
      async () => about('/pd', incident, 'resolve').length && about('/hook', incident, 'resolve').length && about('/slack', incident, 'resolve').length,
    );
    expect(about('/hook', incident, 'resolve')[0]!.json).toMatchObject({ resolution: 'anomaly incident closed (recovered)' });
    // a later check (and the hourly scan) finds nothing more to send
    await run(0);
    for (const p of ['/hook', '/slack', '/pd']) expect(about(p, incident, 'resolve')).toHaveLength(1);
  });

  it('two activities resolving one incident at once send it once per channel (the delivery lease)', async () => {
    const deps: AlertingDeps = { db: h.pool, log: silentLogger, loadSettings: cachedSettingsLoader(h.configPath), redact: (t) => t };
    const window = () => ({ deadline: Date.now() + 20_000 });
    const raised = await raiseAlert(
      deps,
      { dedupeKey: 'lease-test:1', target: null, workflowId: null, kind: 'capacity', severity: 'critical', message: 'lease test', details: {} },
      window(),
    );
    expect(raised.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['hook', 'delivered'],
      ['ops-slack', 'delivered'],
      ['oncall', 'delivered'],
    ]);
    // the webhook takes 1.5 s to answer a resolve: long enough for the second caller to find the row held
    receiver.behave('/hook', (_n, r) => (r.json.action === 'resolve' ? { status: 200, afterMs: 1500 } : 200));
    const [a, b] = await Promise.all([resolveAlert(deps, 'lease-test:1', 'first', window()), resolveAlert(deps, 'lease-test:1', 'second', window())]);
    expect(a.resolved && b.resolved).toBe(true);
    // every request the receiver got, answered or not: one resolve per channel
    expect(receiver.requests.filter((r) => r.path === '/hook' && r.json.action === 'resolve' && r.json.incidentKey === 'lease-test:1')).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.path === '/pd' && r.json.event_action === 'resolve' && r.json.dedup_key === 'lease-test:1')).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.path === '/slack' && r.body.includes('lease-test:1') && r.body.includes('Resolved:'))).toHaveLength(1);
    // both callers report the one delivery
    for (const result of [a, b]) expect(result.deliveries.find((d) => d.channel === 'hook')).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});
