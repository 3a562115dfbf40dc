/**
 * Issue 11, items 1 and 5, with the real `npm start` (npm → sh → node) on a data directory of its own, the
 * embedded PGlite database and its own Temporal dev server: one service per data directory, the CLI goes through the
 * service, signals to npm alone stop everything, and a dev server left behind is stopped, never silently adopted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../platform/dev-server.js';
import type { RuntimeInfo } from '../../platform/runtime-file.js';
import { runCli } from '../helpers/cli.js';
import { isAlive, waitForProcessExit } from '../helpers/faults.js';
import { eventually } from '../helpers/harness.js';

interface Service {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

let dir: string;
let dataDir: string;
let configPath: string;
const services: Service[] = [];

async function startService(extraEnv: Record<string, string> = {}): Promise<Service> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SENTINEL_DATA_DIR: dataDir,
    SENTINEL_CONFIG: configPath,
    SENTINEL_TEMPORAL_PORT: String(await freePort()),
    SENTINEL_UI_PORT: String(await freePort()),
    SENTINEL_CODEC_PORT: String(await freePort()),
    SENTINEL_EMBEDDED_PG_PORT: String(await freePort()),
    SENTINEL_METRICS_PORT: 'off',
    SENTINEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'BACKUP_DIR']) delete env[name];
  // Its own process group, as a terminal would run it: a test can signal npm alone or the whole group (Ctrl-C).
  const child = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const service = { child, output: () => output, exited };
  services.push(service);
  return service;
}

async function untilRunning(service: Service): Promise<void> {
  await eventually(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`npm start exited early:\n${service.output()}`);
      return /Press Ctrl-C to stop/.test(service.output());
    },
    180_000,
    500,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- npm start output ---\n${service.output()}`);
  });
}

/** Every live descendant of `pid` (through /proc's parent links), with its command line. */
function descendants(pid: number): Array<{ pid: number; cmd: string }> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: Array<{ pid: number; cmd: string }> = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push({ pid: c, cmd: readFileSync(`/proc/${c}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() });
      walk(c);
    }
  };
  walk(pid);
  return found;
}

const runtimeInfo = async () => JSON.parse(await readFile(path.join(dataDir, 'runtime.json'), 'utf8')) as RuntimeInfo;
const cli = (args: string[]) => runCli(args, { SENTINEL_DATA_DIR: dataDir, SENTINEL_CONFIG: configPath, DATABASE_URL: undefined, TEMPORAL_ADDRESS: undefined });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-lifecycle-'));
  dataDir = path.join(dir, '.data');
  configPath = path.join(dir, 'sentinel.yaml');
  await writeFile(configPath, stringify({ targets: [{ name: 'db-001', kind: 'command', command: 'true', policy: 'delay', threshold: 0.95 }] }));
});

afterAll(async () => {
  for (const s of services) {
    if (s.child.exitCode === null) {
      try {
        process.kill(-s.child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe.sequential('npm start owns its data directory', () => {
  let first: Service;
  let info: RuntimeInfo;

  it('a second npm start on the same data directory exits at once, naming the first; the first keeps its files', async () => {
    first = await startService();
    await untilRunning(first);
    info = await runtimeInfo();
    const second = await startService();
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toMatch(new RegExp(`another Backup Sentinel is running \\(pid ${info.pid}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)`));
    expect(second.output()).not.toMatch(/already in use/); // refused before it touched a port
    expect(await runtimeInfo()).toEqual(info);
    expect(first.child.exitCode).toBeNull();
  }, 240_000);

  it("the CLI writes through the service's database, and refuses to open the embedded one itself when runtime.json is gone", async () => {
    const history = path.join(dir, 'history.jsonl');
    expect((await cli(['history', 'generate', '--targets', '1', '--days', '2', '--seed', '3', '--out', history])).code).toBe(0);
    const imported = await cli(['history', 'import', history, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const service = new pg.Client({ connectionString: info.databaseUrl });
    await service.connect();
    try {
      const { rows } = await service.query<{ n: number }>('SELECT count(*)::int AS n FROM backup_runs');
      expect(rows[0]!.n).toBe(48); // 1 target x 2 days x 24 runs, visible to the service
    } finally {
      await service.end();
    }

    await rename(path.join(dataDir, 'runtime.json'), path.join(dir, 'runtime.json.moved'));
    try {
      const refused = await cli(['history', 'import', history]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`another Backup Sentinel is running (pid ${info.pid}`);
      expect(refused.stderr).toContain('set DATABASE_URL');
    } finally {
      await rename(path.join(dir, 'runtime.json.moved'), path.join(dataDir, 'runtime.json'));
    }
  }, 180_000);

  it('SIGTERM to the npm process alone stops the service, its dev server and everything else it started', async () => {
    const tree = descendants(first.child.pid!);
    expect(tree.some((p) => p.cmd.includes('server start-dev'))).toBe(true);
    expect(tree.some((p) => p.pid === info.pid)).toBe(true);
    process.kill(first.child.pid!, 'SIGTERM'); // npm alone, not its group
    await first.exited;
    for (const p of tree) await waitForProcessExit(p.pid, 60_000).catch(() => expect.fail(`left running after SIGTERM to npm: ${p.pid} ${p.cmd}`));
    expect(existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'sentinel.lock'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'dev-server.pid'))).toBe(false);
  }, 120_000);

  it('a dev server that outlived a SIGKILLed npm start is stopped by the next one, which says so; Ctrl-C stops everything', async () => {
    const crashed = await startService();
    await untilRunning(crashed);
    const tree = descendants(crashed.child.pid!);
    const temporal = tree.find((p) => p.cmd.startsWith(path.resolve('.tools/bin/temporal')))!;
    expect(temporal).toBeDefined();
    // Everything but the Temporal server itself dies without cleanup: the worst a crash can leave.
    for (const p of [...tree.filter((t) => t.pid !== temporal.pid).map((t) => t.pid), crashed.child.pid!]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await crashed.exited;
    expect(isAlive(temporal.pid)).toBe(true);

    const next = await startService();
    await untilRunning(next);
    expect(next.output()).toMatch(/stopped the Temporal dev server \(process group \d+\) that an earlier `npm start` of .* left running/);
    await waitForProcessExit(temporal.pid, 5_000);

    const nextTree = descendants(next.child.pid!);
    process.kill(-next.child.pid!, 'SIGINT'); // Ctrl-C in the terminal: the foreground process group
    await next.exited;
    for (const p of nextTree) await waitForProcessExit(p.pid, 60_000).catch(() => expect.fail(`left running after Ctrl-C: ${p.pid} ${p.cmd}`));
  }, 300_000);

  it('a stranger on the Temporal port is refused with its pid, not attached to', async () => {
    const stranger = net.createServer();
    await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
    const port = (stranger.address() as net.AddressInfo).port;
    try {
      const refused = await startService({ SENTINEL_TEMPORAL_PORT: String(port) });
      expect(await refused.exited).not.toBe(0);
      expect(refused.output()).toContain(`port ${port} is already in use by pid ${process.pid}`);
      expect(refused.output()).toContain('this process did not start it');
      expect(existsSync(path.join(dataDir, 'sentinel.lock'))).toBe(false);
    } finally {
      stranger.close();
    }
  }, 120_000);
});
