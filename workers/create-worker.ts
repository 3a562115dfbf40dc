import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { sentinelDataConverter } from '../platform/temporal.js';
import { TargetLabels } from '../platform/telemetry.js';
import { observeActivities } from './activity-observer.js';
import { attachDatabaseGauges } from './database-gauges.js';
import { withSecretRedaction } from './secret-redaction.js';

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
  attachDatabaseGauges(deps.db, labels);
  // Compiled, the worker loads the bundle built with it instead of running webpack at every start.
  const bundle = options.workflowBundlePath ?? (BUILT_BUNDLE && existsSync(BUILT_BUNDLE) ? BUILT_BUNDLE : undefined);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(deps),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
    dataConverter: sentinelDataConverter(),
    interceptors: { activity: [observeActivities(deps.redactor, labels)] },
    // Lets an in-flight activity (a running dump) finish on Ctrl-C instead of being abandoned mid-write.
    shutdownGraceTime: '30s',
    ...options.overrides,
  });
}
