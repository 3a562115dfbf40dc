import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundlerLogger } from '../platform/quiet-bundler-logger.js';
import { WORKFLOWS_PATH } from './create-worker.js';
import { TRACING_WORKFLOW_INTERCEPTORS } from './tracing.js';

/**
 * Builds the workflow bundle once, ahead of time: production workers (the Docker image, SENTINEL_WORKFLOW_BUNDLE)
 * and the test run load it instead of running webpack at every worker start. `tracing` adds the OpenTelemetry
 * workflow interceptors (the traced bundle, `tracedBundlePath(file)`, which a worker loads when tracing is on).
 */
export async function writeWorkflowBundle(file: string, options: { tracing?: boolean } = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: quietBundlerLogger,
    ...(options.tracing ? { workflowInterceptorModules: [TRACING_WORKFLOW_INTERCEPTORS] } : {}),
  });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, code);
  return file;
}
