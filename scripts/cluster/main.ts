import { describeCluster } from './describe.js';
import { startTemporalCluster } from './temporal-cluster.js';

/**
 * `npx tsx scripts/cluster/main.ts`: the test cluster by hand (Temporal server on PostgreSQL, mTLS required), for
 * trying a worker or the CLI against the production topology. Prints the environment to export; Ctrl-C stops the
 * server and drops its databases.
 */
const cluster = await startTemporalCluster();
process.stdout.write(
  `${await describeCluster(cluster)}\ndatabases: ${cluster.databases.temporal}, ${cluster.databases.visibility}\n` +
    `${Object.entries(cluster.clientEnv)
      .map(([key, value]) => `export ${key}=${value}`)
      .join('\n')}\n` +
    `temporal CLI: .tools/bin/temporal workflow list ${cluster.cliArgs.join(' ')}\n` +
    `server log: ${cluster.logPath}\n`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void cluster.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
