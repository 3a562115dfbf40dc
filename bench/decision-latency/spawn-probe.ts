import { spawn } from 'node:child_process';
import { runProcess } from '../../activities/backup/process.js';
import { cpuSnapshot } from './cpu.js';
import { startProbes } from './probes.js';
import { round, summarise, type LatencySummary } from './stats.js';

/**
 * What starting the backup's `true` costs on this worker process, measured after the series: the synchronous part
 * of child_process.spawn on the event loop (what a backup cost the loop before the spawn thread), and the product's
 * runProcess, which spawns from its helper process, with the event-loop delay seen meanwhile; and the CPU each
 * costs the spawning side (this process, plus the helper for runProcess; the children's own CPU is not counted).
 */
export interface SpawnProbe {
  runs: number;
  rssMiB: number;
  /** Time child_process.spawn('true') blocked the event loop (sync part), called on the main thread. */
  mainThreadSpawnSyncMs: LatencySummary;
  mainThreadLoopDelayMs: { p99: number; max: number };
  /** CPU per spawn('true') from the main thread, in ms (the fork copies this process's page tables; an idle helper adds nothing). */
  mainThreadSpawnCpuMs: number;
  /** runProcess('true') start to close (the product's path, spawning from the spawn helper process). */
  runProcessMs: LatencySummary;
  runProcessLoopDelayMs: { p99: number; max: number };
  /** CPU per runProcess('true') of this process and the spawn helper together, in ms. */
  runProcessCpuMs: number;
}

/** This process's CPU with its spawn helper's, as the bench counts the worker's (cpu.ts). */
const workerCpuSeconds = () => cpuSnapshot(undefined).benchProcessSeconds;

export async function probeSpawn(runs = 40): Promise<SpawnProbe> {
  const sync: number[] = [];
  const stopMain = await startProbes();
  const mainCpu = workerCpuSeconds();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    sync.push(performance.now() - t);
    await new Promise((resolve) => child.on('close', resolve));
  }
  const mainCpuMs = ((workerCpuSeconds() - mainCpu) * 1000) / runs;
  const main = await stopMain();
  const viaThread: number[] = [];
  await runProcess('true', [], { timeoutMs: 30_000 }); // the helper is running before the timed runs
  const stopThread = await startProbes();
  const viaCpu = workerCpuSeconds();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await runProcess('true', [], { timeoutMs: 30_000 });
    viaThread.push(performance.now() - t);
  }
  const viaCpuMs = ((workerCpuSeconds() - viaCpu) * 1000) / runs;
  const thread = await stopThread();
  return {
    runs,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    mainThreadSpawnSyncMs: summarise(sync),
    mainThreadLoopDelayMs: { p99: main.eventLoopDelayMs.p99, max: main.eventLoopDelayMs.max },
    mainThreadSpawnCpuMs: round(mainCpuMs, 2),
    runProcessMs: summarise(viaThread),
    runProcessLoopDelayMs: { p99: thread.eventLoopDelayMs.p99, max: thread.eventLoopDelayMs.max },
    runProcessCpuMs: round(viaCpuMs, 2),
  };
}
