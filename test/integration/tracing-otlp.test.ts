// Tracing in the real worker process (workers/main.ts), switched by the environment alone:
// - OTEL_EXPORTER_OTLP_ENDPOINT unset: a pre-backup run completes and the process never loaded an OpenTelemetry
//   tracing module (the SDK, the exporter, the interceptors): tracing off costs nothing;
// - set: the same run's spans arrive over OTLP/gRPC at a real local receiver, with the service name and the
//   OTEL_EXPORTER_OTLP_HEADERS metadata, and the process did load the tracing modules (so the first check can fail).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelClient } from '../../client/index.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const PROBE = path.resolve('test/helpers/loaded-modules-probe.mjs');
/** Tracing code: anything from the OpenTelemetry SDK, its exporters, or the Temporal interceptors. `@opentelemetry/api`
 * alone is the no-op facade prom-client may load for exemplars; it is not tracing and not counted. */
const TRACING_MODULE = /node_modules[\\/](@opentelemetry[\\/](?!api[\\/])|@temporalio[\\/]interceptors-opentelemetry[\\/])/;

/** The part of the OTLP trace protocol (opentelemetry-proto, collector/trace/v1) this test reads, field numbers as there. */
const OTLP = protobuf
  .parse(`
  syntax = "proto3";
  message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
  message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
  message Resource { repeated KeyValue attributes = 1; }
  message KeyValue { string key = 1; AnyValue value = 2; }
  message AnyValue { string string_value = 1; }
  message ScopeSpans { repeated Span spans = 2; }
  message Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; }
`)
  .root.lookupType('ExportTraceServiceRequest');

interface OtlpSpan {
  service: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

function decodeSpans(body: Buffer): OtlpSpan[] {
  type Decoded = {
    resourceSpans?: Array<{
      resource?: { attributes?: Array<{ key: string; value?: { stringValue?: string } }> };
      scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string }> }>;
    }>;
  };
  const request = OTLP.toObject(OTLP.decode(body), { bytes: String, defaults: true }) as Decoded;
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue;
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', name: span.name })),
    );
  });
}

interface Export {
  body: Buffer;
  token: string | undefined;
}

let h: Harness;
let sentinel: SentinelClient;
let receiver: grpc.Server;
let receiverPort: number;
const exports: Export[] = [];
let dataDir: string;

beforeAll(async () => {
  h = await createHarness('tracing-otlp');
  await h.writeConfig({ targets: [{ name: 'otlp', kind: 'command', command: 'true' }] });
  sentinel = SentinelClient.fromClient(h.client, h.taskQueue);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-otlp-data-'));
  // A real OTLP/gRPC trace receiver: the collector's TraceService/Export method, requests kept as raw protobuf.
  receiver = new grpc.Server();
  receiver.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: () => Buffer.alloc(0), // an empty ExportTraceServiceResponse: all accepted
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        exports.push({ body: call.request, token: call.metadata.get('x-sentinel-test')[0]?.toString() });
        callback(null, {});
      },
    },
  );
  receiverPort = await new Promise<number>((resolve, reject) =>
    receiver.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
});

afterAll(async () => {
  receiver?.forceShutdown();
  await h?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function runWorker(name: string, env: Record<string, string | undefined>, run: () => Promise<void>): Promise<{ modules: string[]; log: string }> {
  const modulesFile = path.join(dataDir, `${name}-modules.json`);
  const worker: WorkerProcess = spawnWorkerProcess({
    name,
    temporalAddress: h.temporalAddress,
    taskQueue: h.taskQueue,
    databaseUrl: h.databaseUrl,
    configPath: h.configPath,
    backupDir: h.backupDir,
    dataDir,
    env: { ...env, NODE_OPTIONS: `--import ${PROBE}`, SENTINEL_TEST_LOADED_MODULES: modulesFile },
    readyTimeoutMs: 180_000,
  });
  try {
    await worker.ready;
    await run();
  } finally {
    await worker.stop(); // SIGTERM: a graceful stop, which flushes the spans, then the probe writes its list
  }
  return { modules: JSON.parse(await readFile(modulesFile, 'utf8')) as string[], log: worker.log() };
}

async function preBackupRun(scheduledAt: string): Promise<string> {
  const run = await sentinel.startPreBackup({ target: 'otlp' }, { scheduledAt });
  const result = await sentinel.preBackupResult(run.workflowId);
  expect(result.decision).toBe('proceed');
  expect(result.backup?.status).toBe('completed');
  return run.workflowId;
}

describe('tracing in the worker process', () => {
  it('with OTEL_EXPORTER_OTLP_ENDPOINT unset, a run completes and no OpenTelemetry tracing module is loaded', async () => {
    const off = { OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined };
    const { modules, log } = await runWorker('tracing-off', off, async () => void (await preBackupRun('2026-12-07T02:00:00.000Z')));
    expect(
      modules.some((file) => file.includes(`${path.sep}@temporalio${path.sep}worker${path.sep}`)),
      'the probe sees the CommonJS packages',
    ).toBe(true);
    expect(modules.filter((file) => TRACING_MODULE.test(file))).toEqual([]);
    expect(log).not.toContain('tracing:');
  }, 240_000);

  it('with it set, a run started by the CLI is one trace across both processes, exported over OTLP/gRPC with the headers', async () => {
    const on = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-sentinel-test=otlp-token-7c1d',
      OTEL_SERVICE_NAME: undefined,
      OTEL_RESOURCE_ATTRIBUTES: undefined,
      OTEL_SDK_DISABLED: undefined,
    };
    let workflowId = '';
    const { modules, log } = await runWorker('tracing-on', on, async () => {
      // The real `sentinel` executable, traced by the same variables; it sends its spans before it exits.
      const cli = await runCli(['backup', 'run', 'otlp', '--wait', '--json'], {
        ...on,
        TEMPORAL_ADDRESS: h.temporalAddress,
        DATABASE_URL: h.databaseUrl,
        SENTINEL_CONFIG: h.configPath,
        SENTINEL_TASK_QUEUE: h.taskQueue,
        SENTINEL_DATA_DIR: dataDir,
      });
      expect(cli.stderr).not.toContain('error:');
      expect(cli.code).toBe(0);
      const result = JSON.parse(cli.stdout) as { workflowId: string; decision: string; backup: { status: string } };
      expect(result).toMatchObject({ decision: 'proceed', backup: { status: 'completed' } });
      workflowId = result.workflowId;
    });
    expect(modules.filter((file) => TRACING_MODULE.test(file)).length, 'the tracing modules were loaded').toBeGreaterThan(0);
    expect(log).toContain('tracing: spans exported over OTLP/gRPC');
    // The test's run bundle has no traced twin beside it: the worker bundled the workflows itself, and said so.
    expect(log).toContain('traced workflow bundle is missing');

    const spans = await eventually(async () => {
      const all = exports.flatMap((e) => decodeSpans(e.body));
      const names = new Set(all.map((span) => span.name));
      return names.has('StartWorkflow:preBackupWorkflow') && names.has('RunWorkflow:preBackupWorkflow') && names.has('RunActivity:checkRunAnomalies')
        ? all
        : undefined;
    }, 15_000);
    const named = (name: string) => {
      const found = spans.filter((span) => span.name === name);
      expect(
        found.map((span) => span.name),
        `one ${name} among ${spans.map((span) => span.name).join(', ')}`,
      ).toEqual([name]);
      return found[0]!;
    };
    const start = named('StartWorkflow:preBackupWorkflow'); // from the CLI process
    const workflow = named('RunWorkflow:preBackupWorkflow'); // from the worker process, through the workflow sink
    expect(start.parentSpanId).toBe('');
    expect(workflow.parentSpanId).toBe(start.spanId);
    for (const activity of ['resolveGateAndPredict', 'runBackup', 'recordBackupRun']) {
      const scheduled = named(`StartActivity:${activity}`);
      expect(scheduled.parentSpanId).toBe(workflow.spanId);
      expect(named(`RunActivity:${activity}`).parentSpanId).toBe(scheduled.spanId);
    }
    // The run is one trace. The CLI's other calls (describe, query while it waits) are traces of their own.
    const run = spans.filter((span) => /^(StartWorkflow|RunWorkflow|StartActivity|RunActivity):/.test(span.name));
    expect(new Set(run.map((span) => span.traceId))).toEqual(new Set([start.traceId]));
    const others = spans.filter((span) => span.traceId !== start.traceId).map((span) => span.name);
    expect(
      others.filter((name) => !/^(DescribeWorkflow|QueryWorkflow|HandleQuery)/.test(name)),
      `outside the run's trace: ${others.join(', ')}`,
    ).toEqual([]);
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['backup-sentinel']));
    expect(Buffer.concat(exports.map((e) => e.body)).toString('latin1')).toContain(workflowId);
    expect(new Set(exports.map((e) => e.token))).toEqual(new Set(['otlp-token-7c1d']));
  }, 300_000);
});
