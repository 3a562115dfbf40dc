import { createRequire } from 'node:module';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions.js';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { activeTracing } from '../platform/tracing.js';

/** What a traced worker adds (platform/tracing.ts has the switch): activity spans and the sink for workflow spans. */
export interface WorkerTracing {
  /** RunActivity:<type> spans, children of the workflow's StartActivity:<type> span (context from the headers). */
  activity: ActivityInterceptorsFactory;
  /** Workflow spans are made inside the sandbox and handed out through this sink to the process's span processor. */
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

/** The worker's tracing pieces, or undefined (and no OpenTelemetry module loaded) when tracing is off. */
export async function workerTracing(): Promise<WorkerTracing | undefined> {
  const tracing = await activeTracing();
  if (!tracing) return undefined;
  const otel = await import('@temporalio/interceptors-opentelemetry/lib/worker/index.js');
  return {
    activity: (ctx) => ({
      inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    sinks: { exporter: otel.makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/**
 * The interceptors package's workflow interceptors (RunWorkflow, StartActivity, StartChildWorkflow, ... spans), as a
 * module path for bundleWorkflowCode: resolved, not loaded. They run in the workflow sandbox, so they must be in the
 * bundle, and a bundle without them stays free of tracing code: hence two bundles, chosen at worker start.
 */
export const TRACING_WORKFLOW_INTERCEPTORS = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Where the traced bundle sits beside a plain one: `workflow-bundle.js` -> `workflow-bundle.traced.js`. */
export function tracedBundlePath(bundlePath: string): string {
  return bundlePath.endsWith('.js') ? `${bundlePath.slice(0, -3)}.traced.js` : `${bundlePath}.traced.js`;
}
