import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, printResult } from '../output.js';

/** `sentinel init`: writes the commented example configuration (sentinel.example.yaml) as a starting point. */
export function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .description('Write a commented sentinel.yaml (every section, with example targets) to start from; refuses to overwrite an existing file without --force')
    .option('--path <file>', 'where to write it (default: SENTINEL_CONFIG, else ./sentinel.yaml)')
    .option('--force', 'overwrite the file if it exists')
    .option('--json', 'print JSON')
    .action(async (opts: { path?: string; force?: boolean; json?: boolean }) => {
      const target = opts.path ? path.resolve(opts.path) : ctx.env.configPath;
      const { EXAMPLE_SETTINGS_PATH } = await import('../../platform/settings-file.js');
      const text = await readFile(EXAMPLE_SETTINGS_PATH, 'utf8');
      await mkdir(path.dirname(target), { recursive: true });
      try {
        // 'wx' fails if the file exists, with no window between a check and the write.
        await writeFile(target, text, { flag: opts.force ? 'w' : 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${target} already exists; not overwritten (use --force to replace it)`, 2);
        throw new CliError(`cannot write ${target}: ${(error as Error).message}`);
      }
      printResult(
        { path: target },
        opts.json,
        (r: { path: string }) => `wrote ${r.path}: its targets are examples, edit them; the worker checks the file when it starts (\`npm start\`)`,
      );
    });
}
