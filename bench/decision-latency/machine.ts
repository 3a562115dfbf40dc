import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  date: string;
  /** 1/5/15-minute load averages, to judge whether other work on the machine disturbed the figures. */
  loadAverage: [number, number, number];
}

export function machineFacts(now = new Date()): MachineFacts {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return {
    nproc: nproc(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpuModel(),
    node: process.version,
    date: now.toISOString(),
    loadAverage: [round2(one), round2(five), round2(fifteen)],
  };
}

export const loadAverage = (): [number, number, number] => {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return [round2(one), round2(five), round2(fifteen)];
};

function nproc(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return os.availableParallelism();
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

const round2 = (v: number) => Math.round(v * 100) / 100;
