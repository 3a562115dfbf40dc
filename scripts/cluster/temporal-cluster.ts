import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, type TLSConfig } from '@temporalio/client';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT, TEMPORAL_BIN } from '../../platform/dev-server.js';
import { redactUrl } from '../../platform/redact.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { type ClusterCertificates, generateClusterCertificates } from './certificates.js';

const run = promisify(execFile);

export const SERVER_BIN = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal-server');
export const SQL_TOOL_BIN = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal-sql-tool');
const ENSURE_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'ensure-temporal-server.sh');
const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

export interface TemporalClusterOptions {
  /** A PostgreSQL URL whose role may create databases (default: SENTINEL_TEST_DATABASE_URL, then postgres@127.0.0.1). */
  adminUrl?: string;
  namespace?: string;
  /** Per start (and restart): the server on PostgreSQL needs about 20 s on an idle 2-core machine. */
  readyTimeoutMs?: number;
}

export interface TemporalCluster {
  /** host:port of the frontend (gRPC, TLS with client certificates required). */
  address: string;
  namespace: string;
  /** The server's own version (`temporal-server --version`). */
  version: string;
  certificates: ClusterCertificates;
  /** The environment variables a user sets to point a worker or the CLI at this cluster (Temporal's own names). */
  clientEnv: Record<string, string>;
  /** The same for the `temporal` CLI: --address, --namespace and the --tls-* flags. */
  cliArgs: string[];
  /** The SDK's TLS options for this cluster (the test's own clients). */
  tls: TLSConfig;
  databases: { temporal: string; visibility: string };
  dir: string;
  configPath: string;
  logPath: string;
  /** The server process's id while it runs. */
  pid(): number | undefined;
  /** SIGKILL to the server process (no shutdown of any kind), waited for; returns the pid it killed. */
  kill(): Promise<number>;
  /** Starts the server again on the same databases, configuration and ports, and waits until it serves. */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL) and drops both databases and the directory. */
  stop(): Promise<void>;
}

/**
 * The production topology for tests: the Temporal server itself (not the CLI's dev server) on PostgreSQL, with
 * mutual TLS required on its frontend. Fresh `temporal_*` and `temporal_visibility_*` databases (unique per run, so
 * parallel runs never collide) get the server's schema from its SQL tool; every port (frontend gRPC and HTTP,
 * history, matching, worker, their membership ports, pprof, metrics) is a free ephemeral one, never the 7233 family
 * a dev server uses. The `default`-style namespace and the project's search attributes are created with the
 * `temporal` CLI over mTLS, as an operator would.
 */
export async function startTemporalCluster(options: TemporalClusterOptions = {}): Promise<TemporalCluster> {
  const moduleDir = (await run('bash', [ENSURE_SCRIPT, '--print-module-dir'], { cwd: PROJECT_ROOT, maxBuffer: 1 << 20 })).stdout.trim();
  const version = /version (\S+)/.exec((await run(SERVER_BIN, ['--version'])).stdout)?.[1] ?? 'unknown';
  const adminUrl = options.adminUrl ?? process.env.SENTINEL_TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const namespace = options.namespace ?? 'default';
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-cluster-'));
  const tag = `${Date.now()}_${process.pid}`;
  const databases = { temporal: `temporal_${tag}`, visibility: `temporal_visibility_${tag}` };
  const db = new URL(adminUrl);
  const sqlEnv = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: db.hostname,
    SQL_PORT: db.port || '5432',
    SQL_USER: decodeURIComponent(db.username),
    SQL_PASSWORD: decodeURIComponent(db.password), // the environment, not argv: `ps` shows argv to everyone
  };

  let server: ChildProcess | undefined;
  let serverPid: number | undefined;
  let exited: Promise<void> = Promise.resolve();
  const dropDatabases = async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      for (const name of Object.values(databases)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
  const cleanUp = async () => {
    await dropDatabases().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (const [name, schema] of [
      [databases.temporal, 'temporal'],
      [databases.visibility, 'visibility'],
    ] as const) {
      const sql = (...args: string[]) => sqlTool(['--db', name, ...args], sqlEnv, redactUrl(adminUrl));
      await sql('create-database');
      await sql('setup-schema', '-v', '0.0');
      await sql('update-schema', '-d', path.join(moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned'));
    }

    const certificates = await generateClusterCertificates(dir);
    const ports = await distinctFreePorts(11);
    const [frontend, http, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership, pprof, metrics] = ports as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const address = `127.0.0.1:${frontend}`;

    const configPath = path.join(dir, 'config', 'development.yaml');
    const dynamicConfigPath = path.join(dir, 'config', 'dynamicconfig.yaml');
    await mkdir(path.dirname(configPath), { recursive: true });
    const dynamicConfig = parse(await readFile(path.join(moduleDir, 'config', 'dynamicconfig', 'development-sql.yaml'), 'utf8')) as Record<string, unknown>;
    // As the dev server the other tests use: eager activities on (the worker asks for them), search attributes
    // visible right after they are created, and the Nexus callback template on this cluster's HTTP port.
    dynamicConfig['system.enableActivityEagerExecution'] = [{ value: true }];
    dynamicConfig['system.forceSearchAttributesCacheRefreshOnRead'] = [{ value: true }];
    dynamicConfig['component.nexusoperations.callback.endpoint.template'] = [
      { value: `https://localhost:${http}/namespaces/{{.NamespaceName}}/nexus/callback` },
    ];
    await writeFile(dynamicConfigPath, stringify(dynamicConfig));

    const config = parse(await readFile(path.join(moduleDir, 'config', 'development-postgres12.yaml'), 'utf8')) as ServerConfig;
    for (const [store, databaseName] of [
      ['postgres-default', databases.temporal],
      ['postgres-visibility', databases.visibility],
    ] as const) {
      const sql = config.persistence.datastores[store]!.sql;
      Object.assign(sql, { databaseName, connectAddr: `${sqlEnv.SQL_HOST}:${sqlEnv.SQL_PORT}`, user: sqlEnv.SQL_USER, password: sqlEnv.SQL_PASSWORD });
    }
    config.log = { stdout: true, level: 'warn' };
    config.global.pprof = { port: pprof };
    config.global.metrics.prometheus.listenAddress = `127.0.0.1:${metrics}`;
    const clientOfFrontend = { serverName: certificates.serverName, rootCaFiles: [certificates.caCertPath] };
    config.global.tls = {
      frontend: {
        server: {
          certFile: certificates.serverCertPath,
          keyFile: certificates.serverKeyPath,
          requireClientAuth: true,
          clientCaFiles: [certificates.caCertPath],
        },
        client: clientOfFrontend,
      },
      // The server's own workers (schedules, batch, namespace deletion) call the frontend too: with a certificate.
      systemWorker: { certFile: certificates.systemWorkerCertPath, keyFile: certificates.systemWorkerKeyPath, client: clientOfFrontend },
    };
    const rpc = (grpcPort: number, membershipPort: number) => ({ grpcPort, membershipPort, bindOnLocalHost: true });
    config.services = {
      frontend: { rpc: { ...rpc(frontend, frontendMembership), httpPort: http } },
      history: { rpc: rpc(history, historyMembership) },
      matching: { rpc: rpc(matching, matchingMembership) },
      worker: { rpc: rpc(worker, workerMembership) },
    };
    config.clusterMetadata.clusterInformation.active!.rpcAddress = address;
    config.dynamicConfigClient = { filepath: dynamicConfigPath, pollInterval: '10s' };
    config.archival = { history: { state: 'disabled' }, visibility: { state: 'disabled' } };
    config.namespaceDefaults = { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } };
    await writeFile(configPath, stringify(config), { mode: 0o600 }); // it holds the database password

    const logPath = path.join(dir, 'server.log');
    const tls: TLSConfig = {
      serverNameOverride: certificates.serverName,
      serverRootCACertificate: await readFile(certificates.caCertPath),
      clientCertPair: { crt: await readFile(certificates.clientCertPath), key: await readFile(certificates.clientKeyPath) },
    };
    const tlsFlags = [
      '--tls-cert-path',
      certificates.clientCertPath,
      '--tls-key-path',
      certificates.clientKeyPath,
      '--tls-ca-path',
      certificates.caCertPath,
      '--tls-server-name',
      certificates.serverName,
    ];
    const cliArgs = ['--address', address, '--namespace', namespace, ...tlsFlags];

    const launch = async () => {
      const log = createWriteStream(logPath, { flags: 'a' });
      await new Promise((resolve) => log.once('open', resolve));
      const child = spawn(
        'bash',
        ['-c', WRAPPER, 'temporal-server-wrapper', SERVER_BIN, '--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
        {
          stdio: ['pipe', 'pipe', log],
          cwd: dir,
        },
      );
      child.stdin!.on('error', () => undefined); // EPIPE once the wrapper is gone
      let pidLine = '';
      serverPid = undefined;
      child.stdout!.on('data', (chunk: Buffer) => {
        pidLine += chunk.toString();
        serverPid ??= Number(/temporal-server-pid (\d+)/.exec(pidLine)?.[1]) || undefined;
      });
      server = child;
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      const deadline = Date.now() + readyTimeoutMs;
      for (;;) {
        if (child.exitCode !== null)
          throw new Error(`the Temporal server exited with code ${child.exitCode} during start-up; its log: ${logPath}\n${await tail(logPath)}`);
        if (await answers(address, tls, namespace)) return;
        if (Date.now() > deadline)
          throw new Error(
            `the Temporal server did not answer over mTLS on ${address} within ${readyTimeoutMs} ms; its log: ${logPath}\n${await tail(logPath)}`,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    const stopServer = async (signal: NodeJS.Signals) => {
      const pid = serverPid;
      if (!server || server.exitCode !== null || server.signalCode !== null) return pid;
      if (pid) process.kill(pid, signal);
      const timer = setTimeout(() => (serverPid ? process.kill(serverPid, 'SIGKILL') : server?.kill('SIGKILL')), 15_000);
      await exited;
      clearTimeout(timer);
      return pid;
    };

    await launch().catch(async (error: unknown) => {
      await stopServer('SIGKILL');
      throw error;
    });
    // The namespace and search attributes go through the `temporal` CLI over mTLS: the same path an operator takes.
    await retry(() => temporalCli(['operator', 'namespace', 'create', '--retention', '72h', ...cliArgs]), readyTimeoutMs, 'create the namespace');
    for (const sa of SEARCH_ATTRIBUTES) {
      await retry(
        () => temporalCli(['operator', 'search-attribute', 'create', '--name', sa.name, '--type', sa.type, ...cliArgs]),
        readyTimeoutMs,
        `create search attribute ${sa.name}`,
      );
    }
    await retry(() => answers(address, tls, namespace, true).then((ok) => ok || Promise.reject(new Error('not yet'))), readyTimeoutMs, 'see the namespace');

    return {
      address,
      namespace,
      version,
      certificates,
      clientEnv: {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.clientCertPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.clientKeyPath,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certificates.caCertPath,
        TEMPORAL_TLS_SERVER_NAME: certificates.serverName,
      },
      cliArgs,
      tls,
      databases,
      dir,
      configPath,
      logPath,
      pid: () => (server && server.exitCode === null && server.signalCode === null ? serverPid : undefined),
      async kill() {
        const pid = await stopServer('SIGKILL');
        if (!pid) throw new Error('the Temporal server is not running');
        return pid;
      },
      async restart() {
        await stopServer('SIGTERM');
        await launch().catch(async (error: unknown) => {
          await stopServer('SIGKILL');
          throw error;
        });
      },
      async stop() {
        await stopServer('SIGTERM');
        await cleanUp();
      },
    };
  } catch (error) {
    if (server && server.exitCode === null) {
      if (serverPid) process.kill(serverPid, 'SIGKILL');
      await exited;
    }
    await cleanUp();
    throw error;
  }
}

/**
 * The server runs under this bash wrapper with our pipe as its stdin: when the pipe closes (we stopped, or this
 * process died, even by SIGKILL) the wrapper kills the server, so a crashed test run never leaves one behind.
 * SIGKILL to the server itself (the fault test) ends the wrapper too. `read` is a builtin on purpose (see
 * platform/dev-server.ts).
 */
const WRAPPER = `exec 3<&0
"$@" </dev/null >&2 3<&- &
server=$!
echo "temporal-server-pid $server"
{ while read -r _ <&3; do :; done; kill -KILL "$server" 2>/dev/null; } &
watcher=$!
wait "$server"; code=$?
kill "$watcher" 2>/dev/null
exit "$code"`;

/** True once the frontend answers over mTLS (and, with `namespace`, knows it). */
async function answers(address: string, tls: TLSConfig, namespace: string, requireNamespace = false): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, tls, connectTimeout: 2000 });
    await connection.workflowService.getSystemInfo({});
    if (requireNamespace) await connection.workflowService.describeNamespace({ namespace });
    else await connection.workflowService.listNamespaces({}); // persistence reachable, not just the listener
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function sqlTool(args: string[], env: NodeJS.ProcessEnv, where: string): Promise<void> {
  try {
    await run(SQL_TOOL_BIN, args, { env, maxBuffer: 16 << 20 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`temporal-sql-tool ${args.join(' ')} on ${where} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-5).join('\n')}`);
  }
}

async function temporalCli(args: string[]): Promise<void> {
  try {
    await run(TEMPORAL_BIN, args, { timeout: 30_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    // Already there (a retry after a timeout that did succeed) counts as done.
    if (/already (exists|registered)/i.test(e.stderr ?? '')) return;
    throw new Error(`temporal ${args.slice(0, 3).join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

async function retry(action: () => Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await action();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`could not ${what} on the test cluster: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Free ports from 20000-32767: below the kernel's ephemeral range (where `freePort()` and the dev servers of the
 * other tests land) because the server stores membership ports in a PostgreSQL `smallint` (an ephemeral port above
 * 32767 makes it exit with `value "45491" is out of range for type smallint`), and far from the 7233 family of a
 * dev server or a default cluster.
 */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (!ports.has(port) && (await portIsFree(port))) ports.add(port);
  }
  return [...ports];
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function tail(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
}

interface ServerConfig {
  log: unknown;
  persistence: { datastores: Record<string, { sql: Record<string, unknown> }> };
  global: { pprof: unknown; metrics: { prometheus: Record<string, unknown> }; tls?: unknown; membership?: unknown };
  services: Record<string, unknown>;
  clusterMetadata: { clusterInformation: Record<string, { rpcAddress: string }> };
  dynamicConfigClient: unknown;
  archival: unknown;
  namespaceDefaults: unknown;
}
