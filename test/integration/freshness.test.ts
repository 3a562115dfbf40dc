import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { listFreshnessIncidents } from '../../db/repositories/freshness.js';
import { freshnessCheckWorkflowId, preBackupScheduleId } from '../../domain/freshness/contract.js';
import { preBackupWorkflowId } from '../../domain/pre-backup/contract.js';
import { freshnessCheckWorkflow } from '../../workflows/freshness.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { targetMetricsSnapshot } from '../../capabilities/freshness/metrics.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { registry } from '../../platform/telemetry.js';
import { installTargetMetrics } from '../../platform/telemetry-targets.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

const HOUR = 3_600_000;
// Schedules live in the shared dev server's namespace: unique names keep parallel test files apart.
const tag = randomBytes(3).toString('hex');
const STALE = `fresh-stale-${tag}`;
const PAUSED = `fresh-paused-${tag}`;
const MISSING = `fresh-missing-${tag}`;
const FRESH = `fresh-ok-${tag}`;

let h: Harness;
let webhook: http.Server;
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  h = await createHarness('freshness');
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  await h.writeConfig({
    targets: [
      { name: STALE, kind: 'command', command: 'true', maxAge: '1h', threshold: 1 },
      { name: PAUSED, kind: 'command', command: 'true', schedule: '0 2 * * *', maxAge: '30d' },
      { name: MISSING, kind: 'command', command: 'true', schedule: '0 2 * * *', maxAge: '30d' },
      { name: FRESH, kind: 'command', command: 'true', maxAge: '1h' },
    ],
  });
  const now = Date.now();
  const run = (target: string, ageMs: number, status: 'completed' | 'failed', n: number, artifactPath: string | null = null) =>
    insertBackupRun(h.pool, {
      backupId: `${target}-seed-${n}`,
      target,
      startedAt: new Date(now - ageMs),
      endedAt: new Date(now - ageMs + 60_000),
      status,
      durationSeconds: 60,
      sizeBytes: 1000,
      artifactPath,
      source: 'import',
    });
  await run(STALE, 3 * HOUR, 'completed', 1);
  await run(STALE, 2 * HOUR, 'failed', 2); // a failure is not a success: still stale
  await run(PAUSED, HOUR, 'completed', 1);
  await run(MISSING, HOUR, 'completed', 1);
  await run(FRESH, 10 * 60_000, 'completed', 1, '/var/backups/fresh-1.dump');
  await run(FRESH, 20 * 60_000, 'completed', 2, '/var/backups/fresh-2.dump');
  await h.client.schedule.create({
    scheduleId: preBackupScheduleId(PAUSED),
    spec: { cronExpressions: ['0 2 * * *'] },
    action: { type: 'startWorkflow', workflowType: preBackupWorkflow, taskQueue: h.taskQueue, args: [{ target: PAUSED }] },
    state: { paused: true, note: 'paused by the freshness test' },
  });
  await h.startWorker({ alertWebhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` });
});

afterAll(async () => {
  await h?.client.schedule
    .getHandle(preBackupScheduleId(PAUSED))
    .delete()
    .catch(() => undefined);
  await h?.close();
  webhook?.close();
});

let pass = 0;
const check = () =>
  h.client.workflow.execute(freshnessCheckWorkflow, { taskQueue: h.taskQueue, workflowId: `${freshnessCheckWorkflowId(new Date())}-${pass++}`, args: [{}] });
const hooksFor = (target: string, kind: string) => received.filter((b) => b.target === target && b.kind === kind);
const storedAlerts = async (target: string, kind: string) =>
  (await h.pool.query('SELECT dedupe_key FROM alerts WHERE target = $1 AND kind = $2', [target, kind])).rows.map((r) => r.dedupe_key as string);

describe('freshness objectives on the dev server', () => {
  it('opens exactly one stale-backup incident and one alert for a target past its maxAge, however often it checks', async () => {
    const first = await check();
    const incidents = (await listFreshnessIncidents(h.pool, { target: STALE })).filter((i) => i.closedAt === null);
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident).toMatchObject({ kind: 'stale-backup', maxAgeSeconds: 3600, lastSuccessId: `${STALE}-seed-1` });
    expect(first.alertsSent).toContain(`stale-backup:${incident.id}`);
    expect(first.attention.find((t) => t.target === STALE)).toMatchObject({ state: 'stale', maxAgeSeconds: 3600, incidentId: incident.id });
    expect(first.attention.find((t) => t.target === FRESH)).toBeUndefined();

    const second = await check();
    const third = await check();
    expect(second.alertsSent.filter((k) => k.startsWith('stale-backup:'))).toEqual([]);
    expect(third.counts.opened).toBe(0);
    expect(await listFreshnessIncidents(h.pool, { target: STALE })).toHaveLength(1);
    expect(await storedAlerts(STALE, 'stale-backup')).toEqual([`stale-backup:${incident.id}`]);
    await eventually(async () => hooksFor(STALE, 'stale-backup').length === 1);
    await new Promise((r) => setTimeout(r, 500)); // a second POST would have arrived by now
    expect(hooksFor(STALE, 'stale-backup')).toHaveLength(1);
    expect(hooksFor(STALE, 'stale-backup')[0]).toMatchObject({ severity: 'critical', dedupeKey: `stale-backup:${incident.id}` });
    expect(String(hooksFor(STALE, 'stale-backup')[0]!.message)).toMatch(/stale backup: no successful backup since .* more than its maxAge 1h/);
    expect(hooksFor(FRESH, 'stale-backup')).toEqual([]);
  });

  it('serves per-target Prometheus metrics from PostgreSQL, for the targets of sentinel.yaml only', async () => {
    await insertBackupRun(h.pool, {
      backupId: 'not-configured-1',
      target: 'not-configured',
      startedAt: new Date(),
      endedAt: null,
      status: 'completed',
      durationSeconds: 1,
      sizeBytes: 1,
    });
    installTargetMetrics(() => targetMetricsSnapshot({ db: h.pool, loadSettings: cachedSettingsLoader(h.configPath) }), { ttlMs: 0 });
    const text = await registry.metrics();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const lastSuccess = (await h.pool.query('SELECT started_at FROM backup_runs WHERE backup_id = $1', [`${STALE}-seed-1`])).rows[0].started_at as Date;
    expect(value(`sentinel_backup_last_success_timestamp_seconds{target="${STALE}"}`)).toBe(lastSuccess.getTime() / 1000);
    expect(value(`sentinel_backup_last_attempt_status{target="${STALE}",status="failed"}`)).toBe(1);
    expect(value(`sentinel_backup_last_attempt_status{target="${STALE}",status="completed"}`)).toBe(0);
    expect(value(`sentinel_backup_last_attempt_timestamp_seconds{target="${STALE}"}`)).toBeGreaterThan(lastSuccess.getTime() / 1000);
    expect(value(`sentinel_backup_max_age_seconds{target="${STALE}"}`)).toBe(3600);
    expect(value(`sentinel_backup_max_age_seconds{target="${PAUSED}"}`)).toBe(30 * 86_400);
    expect(value(`sentinel_backup_stale{target="${STALE}"}`)).toBe(1);
    expect(value(`sentinel_backup_stale{target="${FRESH}"}`)).toBe(0);
    expect(value(`sentinel_backup_retained_bytes{target="${FRESH}"}`)).toBe(2000);
    expect(value(`sentinel_incidents_open{target="${STALE}",kind="stale-backup"}`)).toBe(1);
    expect(value(`sentinel_incidents_open{target="${FRESH}",kind="stale-backup"}`)).toBe(0);
    expect(text).toContain('# TYPE sentinel_backup_last_success_timestamp_seconds gauge');
    expect(text).not.toContain('not-configured');
    installTargetMetrics(async () => []);
  });

  it('reports a paused and a missing pre-backup schedule (and their targets are checked all the same)', async () => {
    const result = await check();
    expect(result.attention.find((t) => t.target === PAUSED)).toMatchObject({
      state: 'fresh',
      schedule: { id: preBackupScheduleId(PAUSED), state: 'paused', nextRunAt: null },
    });
    expect(result.attention.find((t) => t.target === MISSING)).toMatchObject({
      state: 'fresh',
      schedule: { id: preBackupScheduleId(MISSING), state: 'missing' },
    });
    expect(result.counts).toMatchObject({ targets: 4, schedulesPaused: 1, schedulesMissing: 1 });
  });

  it('resolves the incident when a later backup succeeds, and says so once', async () => {
    const [open] = (await listFreshnessIncidents(h.pool, { target: STALE })).filter((i) => i.closedAt === null);
    const handle = await h.client.workflow.start(preBackupWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: preBackupWorkflowId(STALE, new Date().toISOString()),
      args: [{ target: STALE }],
    });
    const backup = await handle.result();
    expect(backup.backup?.status).toBe('completed');
    // The run carries the freshness its gate saw in its Web UI details (from the gate's resolution, no new command).
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(
      new RegExp(`^${STALE}: risk \\w+ \\(0\\.\\d\\d\\) -> proceed, backup completed; backups STALE: last success 3h ago, maxAge 1h$`),
    );
    const after = await check();
    expect(after.counts.resolved).toBe(1);
    expect(after.alertsSent).toContain(`stale-backup-resolved:${open!.id}`);
    const [closed] = await listFreshnessIncidents(h.pool, { target: STALE });
    expect(closed).toMatchObject({ id: open!.id, closeReason: 'recovered' });
    expect(closed!.closedByBackupId).toMatch(new RegExp(`^pre-backup/${STALE}/`));
    const again = await check();
    expect(again.alertsSent).toEqual([]);
    await eventually(async () => hooksFor(STALE, 'stale-backup-resolved').length === 1);
    expect(String(hooksFor(STALE, 'stale-backup-resolved')[0]!.message)).toContain(`stale-backup incident ${open!.id} resolved`);
    expect(await storedAlerts(STALE, 'stale-backup-resolved')).toEqual([`stale-backup-resolved:${open!.id}`]);
  });

  it('refuses unknown input with one clear line', async () => {
    const failure = await h.client.workflow
      .execute(freshnessCheckWorkflow, { taskQueue: h.taskQueue, workflowId: `${freshnessCheckWorkflowId(new Date())}-bad`, args: [{ targets: 'x' } as never] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toBe(
      'invalid freshness check input: unknown field(s): "targets" (the check takes no options)',
    );
  });
});
