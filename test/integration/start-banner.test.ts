import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort } from '../../platform/dev-server.js';
import { eventually } from '../helpers/harness.js';

// `npm start`'s own script (scripts/start.ts, compiled: dist/scripts/start.js, as `npm start` runs it) as a real
// process, on the suite's Temporal server (TEMPORAL_ADDRESS: no dev server of its own) and its own embedded PGlite in a
// data directory that is not `.data`.
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-start-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function start(name: string, config: string): Promise<{ output: () => string; exited: Promise<number | null>; stop: () => Promise<number | null> }> {
  const dataDir = path.join(dir, name, 'state');
  const configPath = path.join(dir, `${name}.yaml`);
  await writeFile(configPath, config);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    SENTINEL_DATA_DIR: dataDir,
    SENTINEL_CONFIG: configPath,
    SENTINEL_TASK_QUEUE: `test-start-${name}-${process.pid}`,
    SENTINEL_EMBEDDED_PG_PORT: String(await freePort()),
    SENTINEL_CODEC_PORT: String(await freePort()),
    SENTINEL_METRICS_PORT: 'off',
    SENTINEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    LOG_LEVEL: 'info',
  };
  for (const variable of ['DATABASE_URL', 'CONFIG_BACKUP_KEY', 'SENTINEL_LOG_FORMAT']) delete env[variable];
  const child = spawn(process.execPath, [path.resolve('dist/scripts/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { output: () => output, exited, stop };
}

describe('npm start banner', () => {
  it('names the real data directory, says "running" only after the worker started, and logs text lines', async () => {
    const service = await start('ok', 'targets:\n  - name: nightly\n    kind: command\n    command: "true"\n');
    try {
      await eventually(
        async () => {
          if (service.output().includes('start failed')) throw new Error(service.output());
          return service.output().includes('Press Ctrl-C to stop');
        },
        120_000,
        250,
      );
      const output = service.output();
      const dataDir = path.join(dir, 'ok', 'state');
      expect(output).toContain(`(embedded PGlite in ${path.join(dataDir, 'pglite')})`);
      expect(output).not.toContain('.data/pglite');
      expect(output).toContain(`Backup Sentinel is running (data in ${dataDir}).`);
      // Human log lines, not pino JSON, and the worker's start comes first.
      expect(output).toMatch(/^info: worker started address=\S+ namespace=default taskQueue=test-start-ok-/m);
      expect(output).not.toMatch(/^\{"level"/m);
      expect(output.indexOf('info: worker started')).toBeLessThan(output.indexOf('Backup Sentinel is running'));
    } finally {
      await service.stop();
    }
  }, 180_000);

  it('a worker that cannot start (invalid sentinel.yaml) never prints "running" and fails with a text line', async () => {
    const service = await start('broken', 'targets:\n  - name: x\n    kind: postgres\n    url: mysql://nope\n');
    const code = await Promise.race([service.exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 120_000))]);
    if (code === 'timeout') await service.stop();
    expect(code, service.output()).toBe(1);
    expect(service.output()).not.toContain('Backup Sentinel is running');
    expect(service.output()).toMatch(/^error: start failed err="[^\n]*targets\[0\]\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/m);
  }, 180_000);
});
