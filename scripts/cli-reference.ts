// Regenerates docs/CLI.md from the CLI's own help (`npm run docs:cli`).
import { writeFile } from 'node:fs/promises';
import { CliContext } from '../cli/context.js';
import { buildProgram } from '../cli/program.js';
import { cliReference } from '../cli/reference.js';

await writeFile('docs/CLI.md', cliReference(await buildProgram(new CliContext())));
