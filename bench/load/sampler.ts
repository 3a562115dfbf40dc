import { workerCpuSeconds } from '../shared/proc.js';
import { procMemory } from './proc.js';

export interface MemorySample {
  /** ms since the epoch (bench clock). */
  at: number;
  rssKiB: number;
  cpuSeconds: number | undefined;
}

export interface SampledProcess {
  name: string;
  pid: number;
}

/**
 * Reads RSS (and CPU time, a worker's with its spawn helper's) of a few processes every `intervalMs` from /proc.
 * Finding a worker's helper among its children reads /proc's process list: about 5 ms per process and sample here,
 * 0.25 % of a core at 2 s, so the sampler itself barely disturbs what it measures.
 */
export class MemorySampler {
  private readonly series = new Map<string, MemorySample[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly processes: readonly SampledProcess[],
    private readonly intervalMs: number,
  ) {
    for (const p of processes) this.series.set(p.name, []);
  }

  start(): this {
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), this.intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  sampleNow(): void {
    const at = Date.now();
    for (const p of this.processes) {
      const memory = procMemory(p.pid);
      if (memory) this.series.get(p.name)!.push({ at, rssKiB: memory.rssKiB, cpuSeconds: workerCpuSeconds(p.pid) });
    }
  }

  samples(name: string): MemorySample[] {
    return this.series.get(name) ?? [];
  }
}
