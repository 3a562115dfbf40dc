import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TEMPORAL_BIN } from '../../platform/dev-server.js';
import type { TemporalCluster } from './temporal-cluster.js';

const run = promisify(execFile);

/**
 * One line of evidence about a running test cluster, for CI's summary: what the server itself reports (`temporal
 * operator cluster describe` over mTLS) and that a client without a certificate is refused. Throws when that client
 * gets through: the cluster would not be proving what it claims.
 */
export async function describeCluster(cluster: Pick<TemporalCluster, 'address' | 'cliArgs' | 'certificates'>): Promise<string> {
  const { stdout } = await run(TEMPORAL_BIN, ['operator', 'cluster', 'describe', '-o', 'json', ...cluster.cliArgs], { timeout: 60_000 });
  const info = JSON.parse(stdout) as { serverVersion?: string; persistenceStore?: string; visibilityStore?: string };
  const withoutCertificate = [
    '--address',
    cluster.address,
    '--tls-ca-path',
    cluster.certificates.caCertPath,
    '--tls-server-name',
    cluster.certificates.serverName,
  ];
  const refused = await run(TEMPORAL_BIN, ['workflow', 'list', ...withoutCertificate], { timeout: 60_000 }).then(
    () => false,
    () => true,
  );
  if (!refused) throw new Error(`the test cluster at ${cluster.address} answered a client without a certificate: mTLS is not enforced`);
  return `Temporal server ${info.serverVersion} (persistence ${info.persistenceStore}, visibility ${info.visibilityStore}) at ${cluster.address}; mTLS: required (a client without a certificate is refused)`;
}
