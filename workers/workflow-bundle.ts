import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundlerLogger } from '../platform/quiet-bundler-logger.js';
import { WORKFLOWS_PATH } from './create-worker.js';

/**
 * Builds the workflow bundle once, ahead of time: production workers (the Docker image, SENTINEL_WORKFLOW_BUNDLE)
 * and the test run load it instead of running webpack at every worker start.
 */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, code);
  return file;
}
