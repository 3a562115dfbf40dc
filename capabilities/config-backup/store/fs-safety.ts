/**
 * Filesystem-level containment: the lexical check in domain/config-backup/paths.ts cannot see symlinks, so a
 * destination like `<root>/conf -> /etc` would pass it. Here the nearest existing ancestor of the destination is
 * resolved with realpath and must still lie inside the (realpath of the) root; an existing destination that is a
 * symlink must resolve inside the root too.
 *
 * The check and the later write are separate syscalls (a race with a concurrent attacker who can create symlinks
 * inside the root remains); restore writes to the resolved path returned here, which narrows that window.
 */
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { isWithinRoot, type PathCheck } from '../../../domain/config-backup/paths.js';
import { MAX_NEW_DIRECTORY_LEVELS } from './restore-target.js';

export async function checkNoSymlinkEscape(root: string, destination: string): Promise<PathCheck> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { ok: false, reason: `restore root ${root} does not exist` };
  }

  // Walk up to the nearest ancestor that exists; the missing tail cannot contain symlinks yet.
  let existing = dirname(destination);
  const missing: string[] = [];
  for (;;) {
    try {
      existing = await realpath(existing);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        return { ok: false, reason: `cannot resolve ${existing}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
      }
      const parent = dirname(existing);
      if (parent === existing) return { ok: false, reason: `no existing ancestor of ${destination}` };
      if (missing.length >= MAX_NEW_DIRECTORY_LEVELS)
        return { ok: false, reason: `${destination} has more than ${MAX_NEW_DIRECTORY_LEVELS} missing directory levels` };
      missing.unshift(basename(existing));
      existing = parent;
    }
  }
  if (!isWithinRoot(realRoot, existing)) {
    return { ok: false, reason: `${destination} escapes the restore root ${root} through a symlink (parent resolves to ${existing})` };
  }
  const resolved = join(existing, ...missing, basename(destination));

  try {
    const info = await lstat(resolved);
    if (info.isSymbolicLink()) {
      const target = await realpath(resolved).catch(() => null);
      if (target === null || !isWithinRoot(realRoot, target)) {
        return { ok: false, reason: `${destination} is a symlink that points outside the restore root ${root} (or nowhere)` };
      }
    } else if (info.isDirectory()) {
      return { ok: false, reason: `${destination} is a directory` };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      return { ok: false, reason: `cannot inspect ${destination}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
    }
  }
  const within = relative(realRoot, resolved);
  if (within === '' || within.startsWith(`..${sep}`) || within === '..') {
    return { ok: false, reason: `${destination} is outside the restore root ${root}` };
  }
  return { ok: true, path: resolved };
}
