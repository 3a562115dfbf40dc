import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { sentinelDataConverter } from '../../platform/temporal.js';

/**
 * The test's own client of the cluster (test/setup/cluster-setup.ts): the SDK's TLS options from the same files a
 * user's TEMPORAL_TLS_* variables name. Workers and the CLI under test get those variables instead.
 */
export async function connectClusterClient(): Promise<{ client: Client; connection: Connection }> {
  const cluster = inject('cluster');
  const connection = await Connection.connect({
    address: cluster.address,
    tls: {
      serverNameOverride: cluster.serverName,
      serverRootCACertificate: await readFile(cluster.caCertPath),
      clientCertPair: { crt: await readFile(cluster.clientCertPath), key: await readFile(cluster.clientKeyPath) },
    },
  });
  return { connection, client: new Client({ connection, namespace: cluster.namespace, dataConverter: sentinelDataConverter() }) };
}
