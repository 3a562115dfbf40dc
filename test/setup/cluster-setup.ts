import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createScratchDatabase } from '../../db/scratch-database.js';
import { serveClusterControl } from '../../scripts/cluster/control.js';
import { describeCluster } from '../../scripts/cluster/describe.js';
import { startTemporalCluster } from '../../scripts/cluster/temporal-cluster.js';
import { writeWorkflowBundle } from '../../workers/workflow-bundle.js';

/**
 * `npm run test:cluster`: the production topology. One Temporal server (not the dev server) on fresh PostgreSQL
 * databases with mTLS required on its frontend (scripts/cluster/), and one fresh migrated Sentinel database that
 * test files clone (test/helpers/test-database.ts), for the whole run.
 */
export interface ClusterContext {
  address: string;
  namespace: string;
  version: string;
  /** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_TLS_*: what a user exports to reach this cluster. */
  clientEnv: Record<string, string>;
  /** The same as `temporal` CLI flags. */
  cliArgs: string[];
  caCertPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  serverName: string;
  /** scripts/cluster/control.ts: SIGKILL and restart the server from a test file. */
  controlUrl: string;
  serverLogPath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterContext;
  }
}

const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const database = await createScratchDatabase(adminUrl, 'sentinel_cluster', 'the cluster tests');
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-cluster-test-'));
  let cluster: Awaited<ReturnType<typeof startTemporalCluster>> | undefined;
  let control: Awaited<ReturnType<typeof serveClusterControl>> | undefined;
  try {
    const bundle = writeWorkflowBundle(path.join(workDir, 'workflow-bundle.js'));
    cluster = await startTemporalCluster({ adminUrl });
    control = await serveClusterControl(cluster);
    project.provide('workflowBundlePath', await bundle);
    const { certificates } = cluster;
    project.provide('cluster', {
      address: cluster.address,
      namespace: cluster.namespace,
      version: cluster.version,
      clientEnv: cluster.clientEnv,
      cliArgs: cluster.cliArgs,
      caCertPath: certificates.caCertPath,
      clientCertPath: certificates.clientCertPath,
      clientKeyPath: certificates.clientKeyPath,
      serverName: certificates.serverName,
      controlUrl: control.url,
      serverLogPath: cluster.logPath,
    });
  } catch (error) {
    await cluster?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  }
  project.provide('temporalAddress', cluster.address);
  project.provide('databaseUrl', database.url);
  project.provide('databaseAdminUrl', adminUrl);
  project.provide('temporalBinary', path.resolve('.tools/bin/temporal'));
  // What the server reports about itself, and that mTLS is enforced, as one line; CI prints it in its summary
  // (SENTINEL_CLUSTER_SUMMARY names the file, see .ci/run).
  const summary = await describeCluster(cluster).catch(async (error: unknown) => {
    await control?.close();
    await cluster?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  });
  console.log(`[cluster] ${summary}`);
  if (process.env.SENTINEL_CLUSTER_SUMMARY) await writeFile(process.env.SENTINEL_CLUSTER_SUMMARY, `${summary}\n`);

  return async () => {
    await control?.close();
    await cluster?.stop();
    await rm(workDir, { recursive: true, force: true });
    await database.drop().catch(() => undefined);
  };
}
