/**
 * OpenTelemetry tracing through `@temporalio/interceptors-opentelemetry`: a client span for each workflow start,
 * workflow spans (exported from the sandbox through a sink), and activity spans, all in one trace per run.
 *
 * On only when OTEL_EXPORTER_OTLP_ENDPOINT is set (and OTEL_SDK_DISABLED is not `true`), or when a test installs
 * its own span processor. Off, nothing here imports an OpenTelemetry package: every import below is either
 * type-only (erased) or a dynamic `import()` behind the switch, so an untraced worker or CLI loads no tracing code
 * and its workflow bundle carries none (test/integration/tracing-otlp.test.ts checks the loaded modules).
 *
 * Spans go out over OTLP/gRPC (`@opentelemetry/exporter-trace-otlp-grpc`, which reads the standard OTEL_EXPORTER_OTLP_*
 * variables itself: endpoint, headers, certificates, timeout, compression): the Temporal samples' "most common"
 * set-up, and the protocol the Temporal core runtime's own OTLP metrics speak, so one collector port serves both.
 * The interceptors package 1.24 is built on the OpenTelemetry JS SDK 1.x, so the SDK packages are pinned at 1.30 /
 * 0.57 (the last 1.x line), not 2.x.
 */
import type { ClientInterceptors } from '@temporalio/client';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Resource } from '@opentelemetry/resources';
import { packageVersion } from './package-version.js';

/** The resource's service.name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
export const TRACING_SERVICE_NAME = 'backup-sentinel';

type Env = Readonly<Record<string, string | undefined>>;

export interface TracingRuntime {
  resource: Resource;
  /** Every span of the process ends here: the client's, the activities' and the workflows' (through the sink). */
  spanProcessor: SpanProcessor;
  /** Sends what is buffered (the CLI exits right after starting a run; the worker on shutdown). */
  flush(): Promise<void>;
}

let installed: Promise<TracingRuntime> | undefined;

/** Thrown for a tracing setting that cannot work (one line naming the variable, never its value). */
export class TracingConfigError extends Error {}

/** True when the environment asks for tracing: OTEL_EXPORTER_OTLP_ENDPOINT set, the SDK not disabled. */
export function tracingRequested(env: Env = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';
}

/**
 * The process's tracing, installed on first use when the environment asks for it; undefined (and nothing loaded)
 * otherwise. The worker and the clients of one process (`npm start` runs both) share it.
 */
export function activeTracing(env: Env = process.env): Promise<TracingRuntime> | undefined {
  if (!installed && tracingRequested(env)) installed = install(undefined);
  return installed;
}

/**
 * Installs tracing with the given span processor (tests: an in-memory exporter) instead of the OTLP exporter. Call
 * it before creating workers and clients; it may be installed once per process (the OpenTelemetry API globals).
 */
export function installTracing(spanProcessor: SpanProcessor): Promise<TracingRuntime> {
  if (installed) throw new Error('tracing is already installed in this process');
  installed = install(spanProcessor);
  return installed;
}

/** Flushes and stops the exporter; a no-op when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  const tracing = await installed?.catch(() => undefined);
  if (!tracing) return;
  // Spans that cannot be delivered now (collector down) are lost, not a reason for the process to fail.
  const { logger } = await import('./logger.js');
  const failed = (error: unknown) => logger.warn({ err: describeExportError(error) }, 'tracing: the last spans were not exported');
  await tracing.flush().catch(failed);
  await tracing.spanProcessor.shutdown().catch(failed);
}

/**
 * What `new Client({ ... })` needs for client spans (StartWorkflow, SignalWorkflow, StartWorkflowUpdate, ...),
 * spread into its options: `{}` when tracing is off.
 */
export async function clientTracingOptions(): Promise<{ interceptors?: ClientInterceptors }> {
  if (!(await activeTracing())) return {};
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry/lib/client/index.js');
  return { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } };
}

async function install(given: SpanProcessor | undefined): Promise<TracingRuntime> {
  if (!given) checkTracingEndpoint(process.env);
  const [{ diag, DiagLogLevel }, tracing, { AsyncLocalStorageContextManager }, { Resource, envDetectorSync }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
  ]);
  // Ours first, then the environment's (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES), which wins on a clash.
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': TRACING_SERVICE_NAME, 'service.version': packageVersion() }))
    .merge(envDetectorSync.detect());
  let spanProcessor = given;
  if (!spanProcessor) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
    // Batched: spans are queued and sent in the background, never on a workflow's or an activity's path.
    spanProcessor = new tracing.BatchSpanProcessor(new OTLPTraceExporter());
  }
  const provider = new tracing.BasicTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  // The interceptors use the global tracer and propagate through the active context: register both (the W3C
  // trace-context propagator comes from OTEL_PROPAGATORS' default), with an AsyncLocalStorage context manager
  // so a span started around a call is the parent of the spans inside it.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  if (!given) {
    // The logger (pino) is loaded only when tracing is on: a CLI call without tracing should not pay for it.
    const { logger } = await import('./logger.js');
    // The SDK reports export failures (collector down, TLS refused, unreadable certificate) only through its
    // diagnostic logger: route its warnings and errors into the log, so lost spans are not silent.
    const warn = (message: string) => logger.warn({ err: diagnosticText(message) }, 'tracing: OpenTelemetry reported a problem (spans may be lost)');
    const quiet = () => undefined;
    diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
    logger.info({ endpoint: redactedEndpoint(process.env.OTEL_EXPORTER_OTLP_ENDPOINT) }, 'tracing: spans exported over OTLP/gRPC');
    // A CLI command exits as soon as its work is done: send its spans first.
    process.once('beforeExit', () => void shutdownTracing());
  }
  return { resource, spanProcessor, flush: () => provider.forceFlush() };
}

/** The SDK's diagnostics hand over errors as JSON (`{"stack": ..., "message": ...}`): keep the first line. */
function diagnosticText(message: string): string {
  let text = message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown; stack?: unknown };
    text = String(parsed.message ?? parsed.stack ?? message);
  } catch {
    // not JSON: the message as it is
  }
  return text.split('\n')[0]!.slice(0, 300);
}

/** forceFlush rejects with a list of the processors' errors; gRPC errors carry their status in `details`. */
function describeExportError(error: unknown): string {
  const first = Array.isArray(error) ? error[0] : error;
  const details = (first as { details?: unknown })?.details;
  return String(typeof details === 'string' && details ? details : ((first as Error)?.message ?? first)).slice(0, 300);
}

/** A malformed endpoint is a set-up mistake: stop with one line, as for any other bad setting. */
export function checkTracingEndpoint(env: Env): void {
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const value = env[name]?.trim();
    if (!value) continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol))
      throw new TracingConfigError(`${name} is not an http:// or https:// URL (the collector's OTLP/gRPC address, e.g. http://otel-collector:4317)`);
  }
}

/** The endpoint without credentials, for the log line. */
function redactedEndpoint(endpoint: string | undefined): string | undefined {
  if (!endpoint) return endpoint;
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}
