import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { sentinelDataConverter } from '../platform/temporal.js';
import { TargetLabels } from '../platform/telemetry.js';
import { observeActivities } from './activity-observer.js';
import { withSecretRedaction } from './secret-redaction.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface SentinelWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt workflow bundle (production, tests); bundles from source when absent. */
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
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(deps),
    ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    dataConverter: sentinelDataConverter(),
    interceptors: { activity: [observeActivities(deps.redactor, labels)] },
    // Lets an in-flight activity (a running dump) finish on Ctrl-C instead of being abandoned mid-write.
    shutdownGraceTime: '30s',
    ...options.overrides,
  });
}
