import { spawn } from 'node:child_process';
import { runProcess } from '../../activities/backup/process.js';
import { startProbes } from './probes.js';
import { summarise, type LatencySummary } from './stats.js';

/**
 * What starting the backup's `true` costs on this worker process, measured after the series: the synchronous part
 * of child_process.spawn on the event loop (what a backup cost the loop before the spawn thread), and the product's
 * runProcess, which spawns on its thread, with the event-loop delay seen meanwhile.
 */
export interface SpawnProbe {
  runs: number;
  rssMiB: number;
  /** Time child_process.spawn('true') blocked the event loop (sync part), called on the main thread. */
  mainThreadSpawnSyncMs: LatencySummary;
  mainThreadLoopDelayMs: { p99: number; max: number };
  /** runProcess('true') start to close (the product's path, spawning on the spawn thread). */
  runProcessMs: LatencySummary;
  runProcessLoopDelayMs: { p99: number; max: number };
}

export async function probeSpawn(runs = 40): Promise<SpawnProbe> {
  const sync: number[] = [];
  const stopMain = await startProbes();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    sync.push(performance.now() - t);
    await new Promise((resolve) => child.on('close', resolve));
  }
  const main = await stopMain();
  const viaThread: number[] = [];
  const stopThread = await startProbes();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await runProcess('true', [], { timeoutMs: 30_000 });
    viaThread.push(performance.now() - t);
  }
  const thread = await stopThread();
  return {
    runs,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    mainThreadSpawnSyncMs: summarise(sync),
    mainThreadLoopDelayMs: { p99: main.eventLoopDelayMs.p99, max: main.eventLoopDelayMs.max },
    runProcessMs: summarise(viaThread),
    runProcessLoopDelayMs: { p99: thread.eventLoopDelayMs.p99, max: thread.eventLoopDelayMs.max },
  };
}
