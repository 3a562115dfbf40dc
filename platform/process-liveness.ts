import { readdirSync, readFileSync } from 'node:fs';

/**
 * Is a recorded process (or process group) still the one we recorded? A pid alone is not enough: pids are reused,
 * so records also keep the process's start time from /proc/<pid>/stat (clock ticks since boot), which a reused
 * pid does not share. Zombies count as gone: PID 1 on these machines does not always reap them, and a zombie
 * holds nothing. Without /proc (not Linux) the start time is undefined and only `kill(pid, 0)` is checked.
 */

interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
  startTicks: string;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), startTicks: fields[19]! };
}

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** The start time to record next to a pid; undefined without /proc. */
export function processStartTicks(pid: number): string | undefined {
  return procStat(pid)?.startTicks;
}

/** True while `pid` runs and, when `startTicks` was recorded, is still the same process (not a reused pid). */
export function isSameProcessAlive(pid: number, startTicks?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (HAS_PROC) {
    const stat = procStat(pid);
    if (!stat || stat.state === 'Z') return false;
    return startTicks === undefined || stat.startTicks === startTicks;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgid === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/**
 * Whether group `pgid`, whose leader was recorded with `leaderStartTicks`, still has members that are ours. A pid
 * stays allocated while a group uses it as its id, so with the leader gone any remaining members are the recorded
 * group's; with a leader of another start time the id was reused and the group is not ours.
 */
export function recordedGroupMembers(pgid: number, leaderStartTicks?: string): number[] {
  const leader = procStat(pgid);
  if (leader && leader.state !== 'Z' && leaderStartTicks !== undefined && leader.startTicks !== leaderStartTicks) return [];
  return groupMembers(pgid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to the whole group, SIGKILL after `graceMs`, and waits until no member is left (or `timeoutMs` passed:
 * then throws, since whatever it protects must not start next to a survivor). `tick` runs while waiting
 * (an activity heartbeats there).
 */
export async function killGroupAndWait(
  pgid: number,
  leaderStartTicks: string | undefined,
  options: { graceMs?: number; timeoutMs?: number; tick?: () => void } = {},
): Promise<boolean> {
  if (recordedGroupMembers(pgid, leaderStartTicks).length === 0) return false;
  const graceMs = options.graceMs ?? 5_000;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const killAt = Date.now() + graceMs;
  signalGroup(pgid, 'SIGTERM');
  let killed = false;
  while (recordedGroupMembers(pgid, leaderStartTicks).length > 0) {
    if (!killed && Date.now() >= killAt) {
      signalGroup(pgid, 'SIGKILL');
      killed = true;
    }
    if (Date.now() > deadline) throw new Error(`process group ${pgid} is still running after SIGKILL (members: ${groupMembers(pgid).join(', ')})`);
    options.tick?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
