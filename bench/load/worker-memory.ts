import { round } from '../decision-latency/stats.js';
import { mib, procMemory } from './proc.js';
import type { MemorySample } from './sampler.js';
import { readProbeSamples, type LoadWorker, type ProbeSample } from './worker-process.js';

/** One worker process's memory and CPU over a burst (MiB, seconds). */
export interface WorkerMemory {
  worker: string;
  pid: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** Highest RSS seen by the 2-second sampler during the burst, and the kernel's VmHWM (peak since start). */
  rssMaxSampledMiB: number;
  rssPeakMiB: number | undefined;
  /** Main-thread JavaScript heap (process.memoryUsage().heapUsed from the preloaded probe), nearest samples. */
  heapUsedBeforeMiB: number | undefined;
  heapUsedAfterMiB: number | undefined;
  cpuSeconds: number | undefined;
}

export function sampleAt(samples: readonly MemorySample[], at: number): MemorySample | undefined {
  let best: MemorySample | undefined;
  for (const s of samples) if (s.at <= at) best = s;
  return best ?? samples[0];
}

export function probeAt(samples: readonly ProbeSample[], at: number): ProbeSample | undefined {
  let best: ProbeSample | undefined;
  for (const s of samples) if (s.at <= at) best = s;
  return best;
}

export function workerMemory(worker: LoadWorker, samples: readonly MemorySample[], before: number, after: number): WorkerMemory {
  const b = sampleAt(samples, before);
  const a = sampleAt(samples, after);
  const during = samples.filter((s) => s.at >= before && s.at <= after);
  const probe = readProbeSamples(worker.memoryProbeFile);
  const heap = (s: ProbeSample | undefined) => (s ? mib(s.heapUsed / 1024) : undefined);
  const cpu = a?.cpuSeconds !== undefined && b?.cpuSeconds !== undefined ? round(a.cpuSeconds - b.cpuSeconds, 2) : undefined;
  return {
    worker: worker.name,
    pid: worker.pid,
    rssBeforeMiB: mib(b?.rssKiB ?? Number.NaN),
    rssAfterMiB: mib(a?.rssKiB ?? Number.NaN),
    rssMaxSampledMiB: mib(Math.max(...during.map((s) => s.rssKiB))),
    rssPeakMiB: (() => {
      const m = procMemory(worker.pid);
      return m ? mib(m.peakRssKiB) : undefined;
    })(),
    heapUsedBeforeMiB: heap(probeAt(probe, before)),
    heapUsedAfterMiB: heap(probeAt(probe, after)),
    cpuSeconds: cpu,
  };
}
