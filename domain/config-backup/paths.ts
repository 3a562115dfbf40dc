/**
 * Restore destinations that cannot escape their root. POSIX paths only; implemented without node:path so it stays
 * importable from workflow code. This is the lexical check; capabilities/config-backup/store/fs-safety.ts adds the filesystem
 * check for symlinks, which only the real filesystem can answer.
 */

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/** Collapses `//`, `.` and `..`. An absolute path never rises above `/`; a relative one keeps leading `..`. */
export function normalizePosixPath(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(segment);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}

/** True when `path` is `root` itself or lies below it (both absolute). */
export function isWithinRoot(root: string, path: string): boolean {
  const normalRoot = normalizePosixPath(root);
  const normalPath = normalizePosixPath(path);
  if (normalRoot === '/') return normalPath.startsWith('/');
  return normalPath === normalRoot || normalPath.startsWith(`${normalRoot}/`);
}

/**
 * Where to write `requested` when restoring under `root`: a relative path is taken below the root, an absolute
 * one must already lie inside it. Refuses anything that would leave the root, the root itself and NUL bytes.
 */
export function resolveRestorePath(root: string, requested: string): PathCheck {
  const rootProblem = checkRoot(root);
  if (rootProblem) return rootProblem;
  if (requested === '') return { ok: false, reason: 'empty destination path' };
  if (requested.includes('\0')) return { ok: false, reason: 'destination path contains a NUL byte' };
  const normalRoot = normalizePosixPath(root);
  if (!requested.startsWith('/') && normalizePosixPath(requested).split('/')[0] === '..') {
    return { ok: false, reason: `"${requested}" escapes the restore root ${normalRoot} (..)` };
  }
  const candidate = normalizePosixPath(requested.startsWith('/') ? requested : `${normalRoot}/${requested}`);
  if (!isWithinRoot(normalRoot, candidate)) {
    return { ok: false, reason: `"${requested}" is outside the restore root ${normalRoot}` };
  }
  if (candidate === normalRoot) return { ok: false, reason: `"${requested}" is the restore root itself, not a file` };
  return { ok: true, path: candidate };
}

/**
 * Maps an item's original absolute path into a target directory: `/etc/app.yaml` under `/tmp/restore` becomes
 * `/tmp/restore/etc/app.yaml`. `..` in the original cannot climb out (an absolute path stops at `/`).
 */
export function rebaseUnderTarget(targetDir: string, originalPath: string): PathCheck {
  if (!originalPath.startsWith('/')) return { ok: false, reason: `original path "${originalPath}" is not absolute` };
  const normalOriginal = normalizePosixPath(originalPath);
  if (normalOriginal === '/') return { ok: false, reason: 'original path is the filesystem root, not a file' };
  return resolveRestorePath(targetDir, `.${normalOriginal}`);
}

function checkRoot(root: string): PathCheck | null {
  if (!root.startsWith('/')) return { ok: false, reason: `restore root "${root}" must be an absolute path` };
  if (root.includes('\0')) return { ok: false, reason: 'restore root contains a NUL byte' };
  return null;
}
