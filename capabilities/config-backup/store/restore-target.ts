/**
 * The directory a restore writes into (`config restore --to DIR`), checked before anything is written, and
 * directory creation that always terminates.
 *
 * Two traps this avoids: Node's `mkdir(..., { recursive: true })` loops forever when a filesystem answers ENOENT
 * for a directory whose parent exists (procfs does: `mkdir -p /proc/etc` from Node spins at full CPU), and a
 * destination that is a device or a pseudo-filesystem (`/dev/null`, `/proc`, `/sys`) can never hold a restored
 * file, so it is refused up front with what it is instead of failing somewhere inside the write.
 */
import { mkdir, stat, statfs } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { PathCheck } from '../../../domain/config-backup/paths.js';

/**
 * How many missing directory levels a restore may create (and how far up an ancestor walk may go): far beyond any
 * real configuration path, small enough that a runaway walk ends at once with a clear error.
 */
export const MAX_NEW_DIRECTORY_LEVELS = 128;

/** statfs `f_type` magic numbers (linux/magic.h) of kernel pseudo-filesystems: nothing restored belongs there. */
const SPECIAL_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x1cd1, 'devpts'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
]);
// devtmpfs reports tmpfs's magic number, so /dev itself is not recognisable here; its devices are (by file type).

/** The pseudo-filesystem `dir` lies on, or undefined for an ordinary one (or when statfs is not available). */
export async function specialFilesystemOf(dir: string): Promise<string | undefined> {
  try {
    return SPECIAL_FILESYSTEMS.get((await statfs(dir)).type >>> 0);
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `dir` (absolute) is a directory a restore can write into, creating it (and missing parents, one
 * level at a time) when it does not exist. Refuses, with what is wrong: an existing non-directory (regular file,
 * device, FIFO, socket), a directory on a pseudo-filesystem, and a missing directory whose nearest existing
 * ancestor is either.
 */
export async function prepareRestoreDirectory(dir: string): Promise<PathCheck> {
  const walked = await walkToExisting(dir);
  if (!walked.ok) return walked;
  const { path: found, info, missing } = walked;
  const role = missing.length === 0 ? `restore directory ${dir}` : `${found} (the nearest existing parent of the restore directory ${dir})`;
  if (!info.isDirectory()) return { ok: false, reason: `${role} is ${kindOf(info)}, not a directory` };
  const special = await specialFilesystemOf(found);
  if (special) return { ok: false, reason: `${role} is on ${special}, a kernel pseudo-filesystem that cannot hold restored files` };
  try {
    await createLevels(missing);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  return { ok: true, path: dir };
}

/**
 * `mkdir -p` that always ends: walks up to the nearest existing ancestor (at most MAX_NEW_DIRECTORY_LEVELS
 * levels), then creates each missing level with a plain mkdir. Returns the first directory it created, like
 * `mkdir(dir, { recursive: true })`, or undefined when `dir` already existed.
 */
export async function createDirectories(dir: string): Promise<string | undefined> {
  const walked = await walkToExisting(dir);
  if (!walked.ok) throw new Error(`cannot create ${dir}: ${walked.reason}`);
  if (!walked.info.isDirectory()) throw new Error(`cannot create ${dir}: ${walked.path} is ${kindOf(walked.info)}, not a directory`);
  await createLevels(walked.missing);
  return walked.missing[0];
}

type Walked = { ok: true; path: string; info: Stats; missing: string[] } | { ok: false; reason: string };

/** The nearest existing ancestor of `dir` (or `dir` itself) and the missing levels below it, top first. */
async function walkToExisting(dir: string): Promise<Walked> {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    try {
      return { ok: true, path: current, info: await stat(current), missing };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a non-directory further up, which the walk reaches and names.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { ok: false, reason: `cannot inspect ${current} (${code ?? 'error'})` };
      if (dirname(current) === current) return { ok: false, reason: `${dir} has no existing ancestor` };
      if (missing.length >= MAX_NEW_DIRECTORY_LEVELS) return { ok: false, reason: `${dir} has more than ${MAX_NEW_DIRECTORY_LEVELS} missing directory levels` };
      missing.unshift(current);
    }
  }
}

async function createLevels(missing: readonly string[]): Promise<void> {
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Created meanwhile by someone else: fine when it is a directory.
      if (
        code === 'EEXIST' &&
        (await stat(level).then(
          (s) => s.isDirectory(),
          () => false,
        ))
      )
        continue;
      throw new Error(`cannot create directory ${level}${code ? ` (${code})` : ''}`);
    }
  }
}

function kindOf(info: Stats): string {
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isFile()) return 'a regular file';
  return 'not a regular file';
}
