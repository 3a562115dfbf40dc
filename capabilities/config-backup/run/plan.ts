/**
 * Turns CONFIG_FILES_TO_BACKUP-style entries into the list of files a run backs up. A plain path is kept even when
 * it does not exist, so the run reports it as missing; a glob that matches nothing is reported by the pattern.
 */
import path from 'node:path';
import fg from 'fast-glob';

export const MAX_FILES_PER_RUN = 20_000;

export interface ExpandedFiles {
  /** Absolute, sorted, without duplicates. */
  files: string[];
  /** Globs that matched no file. */
  unmatched: string[];
}

export async function expandFilePatterns(patterns: readonly string[], cwd: string = process.cwd()): Promise<ExpandedFiles> {
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim();
    if (pattern === '') continue;
    if (!fg.isDynamicPattern(pattern)) {
      files.add(path.resolve(cwd, pattern));
      continue;
    }
    const matches = await fg(pattern, { cwd, absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: true, suppressErrors: true, unique: true });
    if (matches.length === 0) unmatched.push(pattern);
    for (const match of matches) files.add(path.resolve(match));
  }
  return { files: [...files].sort(), unmatched };
}
