import { spawnHelperPid } from '../../activities/backup/process.js';
import { procCpuSeconds } from '../shared/proc.js';

/**
 * CPU seconds used so far by this process (all threads: client, worker, workflow thread) with the worker's spawn
 * helper process (which forks the backups' children: that CPU is the worker's), and by the dev server.
 */
export interface CpuSnapshot {
  wallMs: number;
  benchProcessSeconds: number;
  devServerSeconds: number | undefined;
}

export interface CpuUse {
  wallSeconds: number;
  /** Worker (with its spawn helper) and client together; the client's share is small next to the worker's. */
  benchProcessSeconds: number;
  devServerSeconds: number | undefined;
  /** Average busy cores over the phase; 2 means both cores of a 2-core machine were fully used. */
  benchProcessCores: number;
  devServerCores: number | undefined;
}

export function cpuSnapshot(devServerPid: number | undefined): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    wallMs: performance.now(),
    benchProcessSeconds: (usage.user + usage.system) / 1e6 + spawnHelperSeconds(),
    devServerSeconds: devServerPid ? procCpuSeconds(devServerPid) : undefined,
  };
}

/** CPU use over `wallSeconds` from the seconds each side used (rounded to 0.01). */
function cpuUse(wallSeconds: number, benchProcessSeconds: number, devServerSeconds: number | undefined): CpuUse {
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    wallSeconds: r(wallSeconds),
    benchProcessSeconds: r(benchProcessSeconds),
    devServerSeconds: devServerSeconds === undefined ? undefined : r(devServerSeconds),
    benchProcessCores: r(benchProcessSeconds / wallSeconds),
    devServerCores: devServerSeconds === undefined ? undefined : r(devServerSeconds / wallSeconds),
  };
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const devServerSeconds =
    before.devServerSeconds !== undefined && after.devServerSeconds !== undefined ? after.devServerSeconds - before.devServerSeconds : undefined;
  return cpuUse((after.wallMs - before.wallMs) / 1000, after.benchProcessSeconds - before.benchProcessSeconds, devServerSeconds);
}

/** Several phases' CPU use together (the gate's throughput batches: the recorded `cpu.throughput`). */
export function sumCpu(uses: readonly CpuUse[]): CpuUse {
  const server = uses.some((u) => u.devServerSeconds === undefined) ? undefined : uses.reduce((t, u) => t + (u.devServerSeconds as number), 0);
  return cpuUse(
    uses.reduce((t, u) => t + u.wallSeconds, 0),
    uses.reduce((t, u) => t + u.benchProcessSeconds, 0),
    server,
  );
}

/** The spawn helper's CPU so far (0 before it starts). */
function spawnHelperSeconds(): number {
  const pid = spawnHelperPid();
  return pid === undefined ? 0 : (procCpuSeconds(pid) ?? 0);
}
