import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './output.js';
import { ExitCode } from './exit-codes.js';

/** Writes a rendered chart for `--plot FILE.svg`; returns the absolute path written. */
export async function writePlotFile(file: string, svg: string): Promise<string> {
  if (!file.toLowerCase().endsWith('.svg')) throw new CliError(`--plot: the chart is an SVG; name the file *.svg (got "${file}")`, ExitCode.invalidInput);
  const target = path.resolve(file);
  try {
    await writeFile(target, svg);
  } catch (error) {
    throw new CliError(`--plot: cannot write ${target}: ${(error as Error).message}`);
  }
  return target;
}
