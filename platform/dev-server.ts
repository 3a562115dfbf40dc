import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { portHolder } from './port-holder.js';
import { killGroupAndWait, processStartTicks, recordedGroupMembers } from './process-liveness.js';

// This file is <root>/platform/dev-server.ts, or <root>/dist/platform/dev-server.js once compiled (scripts/build.mjs).
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), import.meta.url.endsWith('.ts') ? '..' : '../..');
export const TEMPORAL_BIN = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal');

export interface DevServerOptions {
  port?: number;
  /** Web UI port; omit with `headless` for tests. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file for persisted state; in-memory when absent. */
  dbFile?: string;
  namespace?: string;
  uiCodecEndpoint?: string;
  readyTimeoutMs?: number;
  /** Where the server's own output goes (it is noisy); inherits nothing by default. */
  logFile?: string;
  /**
   * Records the server's process group here while it runs (`npm start`: `.data/dev-server.pid`), so a later start
   * can stop a server that outlived a SIGKILLed predecessor (stopOrphanedDevServer).
   */
  pidFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  /** The wrapper (see WRAPPER) whose process group holds the server. */
  process: ChildProcess;
  /** The `temporal` process itself (for RSS readings). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * The server runs under this bash wrapper, in a process group of its own, with our pipe as stdin: when that pipe
 * closes (we stop it, or this process dies, even by SIGKILL) the wrapper stops the server. So it never outlives
 * us, and a terminal's Ctrl-C (sent to the foreground group) reaches only us: we stop the worker first, then it.
 * `read` is a builtin on purpose: an external `cat` would outlive the watcher subshell when it is killed.
 */
const WRAPPER = `exec 3<&0
"$@" </dev/null 3<&- &
server=$!
echo "dev-server-pid $server"
{ while read -r _ <&3; do :; done; kill -TERM "$server" 2>/dev/null; } &
watcher=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM INT HUP
wait "$server"; code=$?
while kill -0 "$server" 2>/dev/null; do wait "$server"; code=$?; done
kill "$watcher" 2>/dev/null
exit "$code"`;

interface DevServerRecord {
  pgid: number;
  startTicks?: string | undefined;
  startedAt: string;
  port: number;
}

/**
 * Stops the dev server a previous `npm start` of this data directory recorded in `pidFile` if it still runs (its
 * owner was SIGKILLed before the wrapper could see its pipe close, or the wrapper itself was killed). Returns its
 * process group id, or undefined when there was none.
 */
export async function stopOrphanedDevServer(pidFile: string): Promise<number | undefined> {
  let record: DevServerRecord;
  try {
    record = JSON.parse(await readFile(pidFile, 'utf8')) as DevServerRecord;
  } catch {
    return undefined;
  }
  const stopped =
    recordedGroupMembers(record.pgid, record.startTicks).length > 0 ? await killGroupAndWait(record.pgid, record.startTicks, { graceMs: 10_000 }) : false;
  await rm(pidFile, { force: true });
  return stopped ? record.pgid : undefined;
}

/**
 * Starts the Temporal CLI dev server with the project's search attributes registered, and waits until its
 * frontend answers. (The SDK's own launcher allows only ~5 s, too little on a loaded 2-core machine.)
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  if (!existsSync(TEMPORAL_BIN)) throw new Error(`Temporal CLI not found at ${TEMPORAL_BIN}: run \`npm run temporal:build\` first`);
  const port = options.port ?? (await freePort());
  // Never attach to a server we did not start: `answers()` below would happily accept a stranger on the port.
  if (!(await portIsFree(port))) {
    const holder = await portHolder(port);
    throw new Error(
      `port ${port} is already in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ''}, and this process did not start it: ` +
        'stop that process, or set SENTINEL_TEMPORAL_PORT to a free port, or TEMPORAL_ADDRESS to use that server as your cluster',
    );
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  if (options.headless) args.push('--headless');
  else if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  // The worker asks for eager activity execution, but the server has it off by default; on, an activity scheduled
  // by a workflow task is handed back in that task's reply, saving a dispatch round trip (BENCHMARKS.md).
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');

  const child = spawn('bash', ['-c', WRAPPER, 'temporal-dev-server-wrapper', TEMPORAL_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin!.on('error', () => undefined); // EPIPE once the wrapper is gone
  let output = '';
  let serverPid: number | undefined;
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
    serverPid ??= Number(/dev-server-pid (\d+)/.exec(output)?.[1]) || undefined;
  };
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // gone
    }
  };
  if (options.pidFile) {
    const record: DevServerRecord = { pgid: child.pid!, startTicks: processStartTicks(child.pid!), startedAt: new Date().toISOString(), port };
    await writeFile(options.pidFile, JSON.stringify(record));
  }
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${port}`;

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}:\n${output}`);
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      throw new Error(`Temporal dev server did not answer on ${address} within ${options.readyTimeoutMs ?? 90_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    uiUrl: options.headless ? undefined : `http://127.0.0.1:${options.uiPort ?? port + 1000}`,
    process: child,
    get pid() {
      return serverPid;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end(); // the wrapper's watcher sends the server SIGTERM
        const timer = setTimeout(() => killGroup('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (options.pidFile) await rm(options.pidFile, { force: true });
    },
  };
}

async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    // The default namespace is created slightly after the frontend starts answering.
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
