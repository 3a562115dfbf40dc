import { readFileSync } from 'node:fs';

/** Memory of another process as the kernel sees it (Linux /proc), in KiB. */
export interface ProcMemory {
  rssKiB: number;
  /** VmHWM: the highest RSS since the process started, so a peak between two samples is not missed. */
  peakRssKiB: number;
}

/** Undefined once the process has exited (or off Linux). */
export function procMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  };
  const rssKiB = field('VmRSS');
  if (rssKiB === undefined) return undefined;
  return { rssKiB, peakRssKiB: field('VmHWM') ?? rssKiB };
}

export const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

export { procCpuSeconds } from '../shared/proc.js';
