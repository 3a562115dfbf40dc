import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a bench's JSON summary to `file` (bench/results/*.json by default); `-` means "do not write". Returns the
 * path relative to the working directory for the log line, or undefined when nothing was written.
 */
export async function writeResults(file: string, summary: unknown): Promise<string | undefined> {
  if (file === '-') return undefined;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`);
  return path.relative(process.cwd(), file);
}
