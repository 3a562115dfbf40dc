import { CommanderError } from 'commander';
import { ConfigError } from '../domain/config/sentinel-config.js';
import { redactSecrets } from '../lib/redact.js';
import { adoptLocalServiceSettings } from '../lib/runtime-env.js';
import { CliContext } from './context.js';
import { CliError } from './output.js';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<number> {
  let ctx: CliContext | undefined;
  try {
    // Before the context reads the environment; inside the try so a damaged dev-key file is an error line, not a stack.
    await adoptLocalServiceSettings();
    ctx = new CliContext();
    await (await buildProgram(ctx, argv)).parseAsync(argv);
    return Number(process.exitCode ?? 0); // a command may report failure (e.g. `health`) without throwing
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof CliError || error instanceof ConfigError ? error.message : (error as Error).message ?? String(error);
    process.stderr.write(`error: ${redactSecrets(message)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  } finally {
    await ctx?.close();
  }
}

process.exitCode = await main(process.argv);
