import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a Linux process in seconds, from /proc (undefined elsewhere or once it has exited). */
export function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) of this process's children that have exited and been waited for, from /proc/self/stat
 * (cutime + cstime): the difference around one child's run is that child's CPU. Undefined off Linux.
 */
export function waitedChildrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / clockTicks;
  } catch {
    return undefined;
  }
}

/**
 * A worker process's CPU seconds with its backups' spawn helper (activities/backup/spawn-helper.ts), a child process
 * that forks the backup commands for it: that CPU is the worker's. Undefined once the worker has exited.
 */
export function workerCpuSeconds(pid: number): number | undefined {
  const own = procCpuSeconds(pid);
  if (own === undefined) return undefined;
  let helpers = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('spawn-helper')) continue;
      helpers += procCpuSeconds(Number(entry)) ?? 0;
    } catch {
      // exited meanwhile
    }
  }
  return own + helpers;
}
