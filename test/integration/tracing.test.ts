// Tracing (issue 13 item 6): one pre-backup run started through SentinelClient, on the real dev server and
// PostgreSQL, with the process's tracing installed on an in-memory exporter, yields one trace from the client's
// start call through the backup: the span tree is checked by name and parent. Then the run's history (recorded with
// the tracing interceptors) replays with the traced bundle and with the plain one.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NativeConnection, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SentinelClient } from '../../client/index.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { installTracing, TRACING_SERVICE_NAME } from '../../platform/tracing.js';
import { workerRedactor } from '../../platform/known-secrets.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import { tracedBundlePath, workerTracing } from '../../workers/tracing.js';
import { writeWorkflowBundle } from '../../workers/workflow-bundle.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

const exporter = new InMemorySpanExporter();
const SECRET = 'TraceSecret-8e3f1a';
let h: Harness;
let sentinel: SentinelClient;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let bundleDir: string;
let plainBundle: string;
const warnings: string[] = [];

beforeAll(async () => {
  // Before any worker or client exists, as the worker's own start-up does when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  await installTracing(new SimpleSpanProcessor(exporter));
  h = await createHarness('tracing');
  await h.writeConfig({
    targets: [
      { name: 'traced', kind: 'command', command: 'true' },
      // Fails, printing a credential the worker knows (its own command line's password=): spans must not carry it.
      { name: 'traced-failing', kind: 'command', command: `echo "login failed with password=${SECRET}" >&2; exit 3` },
    ],
  });
  // The layout `npm run bundle:workflows` writes: the plain bundle and its traced twin beside it.
  bundleDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-tracing-bundle-'));
  plainBundle = path.join(bundleDir, 'workflow-bundle.js');
  await copyFile(inject('workflowBundlePath'), plainBundle);
  await writeWorkflowBundle(tracedBundlePath(plainBundle), { tracing: true });
  native = await NativeConnection.connect({ address: h.temporalAddress });
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  worker = await createSentinelWorker({
    connection: native,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowBundlePath: plainBundle,
    deps: {
      db: h.pool,
      loadSettings: cachedSettingsLoader(h.configPath),
      backupDir: h.backupDir,
      configBackup: configBackupSourceFromEnv(),
      alertWebhookUrl: undefined,
      log,
      redactor: workerRedactor({}),
    },
    overrides: { shutdownGraceTime: '2s' },
  });
  running = worker.run();
  sentinel = await SentinelClient.connect({ connection: h.connection, taskQueue: h.taskQueue });
}, 180_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await native?.close().catch(() => undefined);
  await h?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = byName(spans, name);
  expect(
    found.map((s) => s.name),
    `exactly one ${name} span among: ${spans.map((s) => s.name).join(', ')}`,
  ).toEqual([name]);
  return found[0]!;
};

describe('tracing', () => {
  let workflowId: string;

  it('traces one pre-backup run from the client start call through the backup as one span tree', async () => {
    const run = await sentinel.startPreBackup({ target: 'traced' }, { scheduledAt: '2026-12-07T01:00:00.000Z' });
    workflowId = run.workflowId;
    const result = await sentinel.preBackupResult(run.workflowId);
    expect(result.decision).toBe('proceed');
    expect(result.backup?.status).toBe('completed');

    // Workflow spans leave the sandbox through a sink after their workflow task: wait for the last one.
    const spans = await eventually(async () => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'RunWorkflow:preBackupWorkflow') && all.some((s) => s.name === 'RunActivity:checkRunAnomalies') ? all : undefined;
    });

    expect(new Set(spans.map((s) => s.spanContext().traceId)).size, 'one trace id for every span').toBe(1);
    const root = one(spans, 'StartWorkflow:preBackupWorkflow');
    expect(root.parentSpanId, 'the client start call is the root').toBeUndefined();
    expect(root.attributes.temporalWorkflowId).toBe(run.workflowId);
    expect(root.attributes.run_id).toBe(run.runId);
    const workflow = one(spans, 'RunWorkflow:preBackupWorkflow');
    expect(workflow.parentSpanId).toBe(root.spanContext().spanId);

    // Each activity: scheduled by the workflow (StartActivity), run by the worker (RunActivity) under it. The gate's
    // reads are one local activity (its settings and first prediction); the backup, the record and the anomaly check
    // are activities. The two-read path (resolveGate, then predictBackupFailure) is only replayed from old histories.
    for (const name of ['resolveGate', 'predictBackupFailure'])
      expect(
        spans.some((s) => s.name.endsWith(`:${name}`)),
        name,
      ).toBe(false);
    for (const activity of ['resolveGateAndPredict', 'runBackup', 'recordBackupRun', 'checkRunAnomalies']) {
      const scheduled = one(spans, `StartActivity:${activity}`);
      expect(scheduled.parentSpanId, `StartActivity:${activity} under the workflow`).toBe(workflow.spanContext().spanId);
      const ran = one(spans, `RunActivity:${activity}`);
      expect(ran.parentSpanId, `RunActivity:${activity} under its StartActivity`).toBe(scheduled.spanContext().spanId);
      expect(ran.attributes.temporalWorkflowId).toBe(run.workflowId);
      expect(ran.status.code, `RunActivity:${activity} succeeded`).toBe(1); // SpanStatusCode.OK
    }
    // Every span hangs off the root: no orphan (a span whose parent is not in the trace).
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    expect(spans.filter((s) => s.parentSpanId !== undefined && !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual([]);
    // The resource names the service, on the client's, the activities' and the workflow's (sink-exported) spans.
    for (const span of [root, workflow, one(spans, 'RunActivity:runBackup')]) expect(span.resource.attributes['service.name']).toBe(TRACING_SERVICE_NAME);
    // The worker loaded the traced twin of its prebuilt bundle, rather than bundling from source.
    expect(warnings.join('\n')).not.toContain('traced workflow bundle is missing');
  });

  it("the traced run's history replays with the traced bundle and with the plain one", async () => {
    expect(workflowId).toBeDefined();
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    // The traced bundle's workflow spans go to the sink a traced worker registers (a replay exports none of them).
    const { sinks } = (await workerTracing())!;
    for (const [codePath, options] of [
      [tracedBundlePath(plainBundle), { sinks }],
      [plainBundle, {}],
    ] as const) {
      await Worker.runReplayHistory(
        { workflowBundle: { codePath }, dataConverter: sentinelDataConverter(), replayName: path.basename(codePath), ...options },
        history,
        workflowId,
      );
    }
    // The two bundles differ by the interceptors only: the traced one carries them, the plain one none.
    expect(await readFile(tracedBundlePath(plainBundle), 'utf8')).toContain('OpenTelemetryInboundInterceptor');
    expect(await readFile(plainBundle, 'utf8')).not.toContain('OpenTelemetryInboundInterceptor');
  });

  it('a failed backup is an error span with its (redacted) failure, and no span carries the secret the command printed', async () => {
    exporter.reset();
    const run = await sentinel.startPreBackup({ target: 'traced-failing' }, { scheduledAt: '2026-12-07T01:00:00.000Z' });
    const result = await sentinel.preBackupResult(run.workflowId);
    expect(result.backup?.status).toBe('failed');
    const spans = await eventually(async () => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'RunWorkflow:preBackupWorkflow') ? all : undefined;
    });
    const backups = byName(spans, 'RunActivity:runBackup');
    expect(backups.length, 'one span per attempt').toBeGreaterThan(0);
    for (const span of backups) {
      expect(span.status.code).toBe(2); // SpanStatusCode.ERROR
      expect(span.status.message).toMatch(/exit|code 3|failed/i);
    }
    const everything = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events })));
    expect(everything).toContain('exception');
    expect(everything).not.toContain(SECRET);
  }, 120_000);
});
