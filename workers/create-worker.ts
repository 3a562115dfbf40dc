import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { sentinelDataConverter } from '../platform/temporal.js';
import { TargetLabels } from '../platform/telemetry.js';
import { observeActivities } from './activity-observer.js';
import { withSecretRedaction } from './secret-redaction.js';
import { TRACING_WORKFLOW_INTERCEPTORS, tracedBundlePath, workerTracing } from './tracing.js';

// The workflows beside this file: TypeScript sources (tsx, vitest), or their compiled copies under dist/.
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index.${OWN_EXTENSION}`, import.meta.url));
/** The bundle `npm run build` writes beside the compiled code (dist/workflow-bundle.js); none for TypeScript sources. */
const BUILT_BUNDLE = OWN_EXTENSION === 'js' ? fileURLToPath(new URL('../workflow-bundle.js', import.meta.url)) : undefined;

export interface SentinelWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt workflow bundle (tests, SENTINEL_WORKFLOW_BUNDLE); else dist/workflow-bundle.js when compiled, else bundles from source. */
  workflowBundlePath?: string | undefined;
  overrides?: Partial<WorkerOptions>;
  /** Registered beside the product's activities (the bench's floor workflows); none in the product. */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
}

export async function createSentinelWorker(options: SentinelWorkerOptions): Promise<Worker> {
  const redacted = withSecretRedaction(options.deps);
  // Metric label values are the targets of the sentinel.yaml last loaded, learnt on every load.
  const labels = new TargetLabels();
  const deps = {
    ...redacted,
    loadSettings: async () => {
      const settings = await redacted.loadSettings();
      labels.update(settings.targets.map((t) => t.name));
      return settings;
    },
  };
  labels.update((await deps.loadSettings().catch(() => undefined))?.targets.map((t) => t.name) ?? []);
  const tracing = await workerTracing(); // undefined unless OTEL_EXPORTER_OTLP_ENDPOINT is set (platform/tracing.ts)
  // Compiled, the worker loads the bundle built with it instead of running webpack at every start.
  const bundle = options.workflowBundlePath ?? (BUILT_BUNDLE && existsSync(BUILT_BUNDLE) ? BUILT_BUNDLE : undefined);
  const code = await workflowCode(bundle, tracing !== undefined, deps.log);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: { ...createActivities(deps), ...options.extraActivities },
    ...code,
    dataConverter: sentinelDataConverter(),
    interceptors: {
      // The span is outermost, so the failure it records has passed the observer's redaction too (defence in depth:
      // the activities redact their own errors first).
      activity: [...(tracing ? [tracing.activity] : []), observeActivities(deps.redactor, labels)],
      ...(code.workflowsPath && tracing ? { workflowModules: [TRACING_WORKFLOW_INTERCEPTORS] } : {}),
    },
    ...(tracing ? { sinks: tracing.sinks } : {}),
    // Lets an in-flight activity (a running dump) finish on Ctrl-C instead of being abandoned mid-write.
    shutdownGraceTime: '30s',
    ...options.overrides,
  });
}

/**
 * The workflow code a worker runs: the prebuilt bundle, or with tracing on its traced twin beside it (written by
 * `npm run bundle:workflows`); without a prebuilt bundle, or without the twin, the workflows bundled from source
 * (with the tracing interceptors when tracing is on), which costs a webpack run at start.
 */
async function workflowCode(
  bundlePath: string | undefined,
  traced: boolean,
  log: ActivityDeps['log'],
): Promise<{ workflowBundle: { codePath: string }; workflowsPath?: undefined } | { workflowsPath: string; workflowBundle?: undefined }> {
  if (!bundlePath) return { workflowsPath: WORKFLOWS_PATH };
  if (!traced) return { workflowBundle: { codePath: bundlePath } };
  const tracedPath = tracedBundlePath(bundlePath);
  if (
    await access(tracedPath).then(
      () => true,
      () => false,
    )
  )
    return { workflowBundle: { codePath: tracedPath } };
  log.warn(
    { bundle: bundlePath, traced: tracedPath },
    'tracing is on but the traced workflow bundle is missing (npm run bundle:workflows writes it): bundling from source',
  );
  return { workflowsPath: WORKFLOWS_PATH };
}
