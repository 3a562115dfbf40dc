import type { Command } from 'commander';
import { EXIT_CODE_TABLE } from './exit-codes.js';
import { commandPaths } from './program.js';

/** The CLI reference in Markdown, made from the commands' own help text so the documentation cannot drift. */
export function cliReference(program: Command): string {
  fixHelpWidth(program);
  const sections = [
    '# `sentinel` CLI reference',
    '',
    'Generated from `sentinel --help` by `npm run docs:cli`; a unit test fails when this file is stale.',
    '',
    '```text',
    program.helpInformation().trimEnd(),
    '',
    EXIT_CODE_TABLE,
    '```',
  ];
  for (const path of commandPaths(program)) {
    let command = program;
    for (const name of path) command = command.commands.find((c) => c.name() === name)!;
    if (command.name() === 'help') continue;
    sections.push('', `## sentinel ${path.join(' ')}`, '', '```text', command.helpInformation().trimEnd(), '```');
  }
  return `${sections.join('\n')}\n`;
}

/** The terminal's width must not change the generated text. */
function fixHelpWidth(command: Command): void {
  command.configureHelp({ ...command.configureHelp(), helpWidth: 100 });
  for (const sub of command.commands) fixHelpWidth(sub);
}
