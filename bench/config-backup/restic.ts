/**
 * The peer in the configuration-backup bench: Debian's `restic`, run as an operator runs it (a new process per
 * command) on the same corpus. Only the bench uses it; it is never a runtime dependency of the project.
 *
 * Settings, recorded with every result: a fresh local repository per repeat (`restic init`, default repository
 * version and compression of that restic), `RESTIC_PASSWORD` a random bench password (restic always encrypts), its
 * own cache directory per repository (`RESTIC_CACHE_DIR`, so the first backup is cold like the project's first run),
 * `--host bench` so the unchanged re-run finds the first snapshot as its parent, `--quiet` (no progress output).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { waitedChildrenCpuSeconds } from '../shared/proc.js';

export interface ResticInfo {
  binary: string;
  version: string;
  /** How it was made available: found on PATH, or installed now with apt-get. */
  installed: 'found' | 'apt-get';
}

export interface ResticRepo {
  dir: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  /** From `restic cat config` after init: the repository format version (2 = compression supported). */
  repositoryVersion: number | null;
}

export interface ResticTiming {
  seconds: number;
  /** restic's own CPU (user + system, all its threads), from this process's waited-children times (10 ms ticks). */
  cpuSeconds: number | null;
  /** From the summary of `restic backup --json`; undefined for `check`. */
  summary?: { filesNew: number; filesUnmodified: number; dataAdded: number; totalBytesProcessed: number };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** The first line a command prints for `args` (its version), or null when it is missing or fails. */
function versionOf(binary: string, args: readonly string[]): string | null {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const resticVersion = (binary: string) => versionOf(binary, ['version']);

/**
 * Finds `restic` (RESTIC_BINARY or PATH); when it is missing and this is root on Debian, installs Debian's package
 * with apt-get (idempotent: apt-get does nothing when it is already there), reading the package lists first when
 * the install fails without them (a fresh machine). Otherwise says how to install it.
 */
export function ensureRestic(): ResticInfo {
  const binary = process.env.RESTIC_BINARY ?? 'restic';
  const found = resticVersion(binary);
  if (found) return { binary, version: found, installed: 'found' };
  const isRoot = process.getuid?.() === 0;
  // `apt-get --version`: apt-get has no `version` command, so probing it like restic found no apt-get at all.
  if (!process.env.RESTIC_BINARY && isRoot && versionOf('apt-get', ['--version']) !== null) {
    log("restic is missing: installing Debian's package (apt-get install -y restic)");
    const apt = (...args: string[]) =>
      execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    try {
      apt('install', '-y', '-qq', 'restic');
    } catch {
      log('apt-get install failed: reading the package lists (apt-get update), then trying again');
      apt('update', '-qq');
      apt('install', '-y', '-qq', 'restic');
    }
    const installed = resticVersion(binary);
    if (installed) return { binary, version: installed, installed: 'apt-get' };
  }
  throw new Error(
    `the bench compares with restic, which is not installed (${binary}): run \`apt-get install -y restic\` (Debian) or set RESTIC_BINARY, or BENCH_RESTIC=0 to skip the comparison`,
  );
}

function run(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`restic ${args[0]} failed: ${error.message.split('\n')[0]} ${String(stderr).trim().slice(0, 500)}`));
      else resolve(stdout);
    });
  });
}

/** A fresh repository with its own cache directory under `workDir` (not timed: restic's init is not a backup). */
export async function initResticRepo(restic: ResticInfo, workDir: string, label: string): Promise<ResticRepo> {
  const dir = path.join(workDir, `restic-repo-${label}`);
  const cacheDir = path.join(workDir, `restic-cache-${label}`);
  await mkdir(cacheDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RESTIC_REPOSITORY: dir,
    RESTIC_PASSWORD: randomBytes(16).toString('hex'),
    RESTIC_CACHE_DIR: cacheDir,
  };
  await run(restic.binary, ['init', '--quiet'], env);
  let repositoryVersion: number | null = null;
  try {
    repositoryVersion = Number(JSON.parse(await run(restic.binary, ['cat', 'config'], env)).version ?? Number.NaN);
  } catch {
    repositoryVersion = null;
  }
  return { dir, cacheDir, env, repositoryVersion: Number.isFinite(repositoryVersion) ? repositoryVersion : null };
}

/** `restic backup <dir>`: the whole process, start-up included, as a nightly cron job runs it. */
export async function timeResticBackup(restic: ResticInfo, repo: ResticRepo, sourceDir: string): Promise<ResticTiming> {
  const [started, cpuBefore] = [performance.now(), waitedChildrenCpuSeconds()];
  const stdout = await run(restic.binary, ['backup', '--json', '--quiet', '--host', 'bench', sourceDir], repo.env);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSince(cpuBefore);
  const summaryLine = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((message) => message.message_type === 'summary');
  const summary = summaryLine
    ? {
        filesNew: Number(summaryLine.files_new),
        filesUnmodified: Number(summaryLine.files_unmodified),
        dataAdded: Number(summaryLine.data_added),
        totalBytesProcessed: Number(summaryLine.total_bytes_processed),
      }
    : undefined;
  return { seconds, cpuSeconds, summary };
}

/** `restic check --read-data`: reads back and authenticates every pack, like `sentinel config verify`. */
export async function timeResticCheck(restic: ResticInfo, repo: ResticRepo): Promise<ResticTiming> {
  const [started, cpuBefore] = [performance.now(), waitedChildrenCpuSeconds()];
  await run(restic.binary, ['check', '--read-data', '--quiet'], repo.env);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSince(cpuBefore) };
}

function cpuSince(before: number | undefined): number | null {
  const after = waitedChildrenCpuSeconds();
  return before === undefined || after === undefined ? null : Math.round((after - before) * 100) / 100;
}
