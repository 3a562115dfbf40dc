import { describe, expect, it } from 'vitest';
import { CliContext } from '../../../cli/context.js';
import { buildProgram, commandPaths } from '../../../cli/program.js';

describe('sentinel --help', async () => {
  const program = await buildProgram(new CliContext());
  it('exists for every command and subcommand, with a description', () => {
    const paths = commandPaths(program);
    expect(paths).toEqual(
      expect.arrayContaining([['worker'], ['backup', 'run'], ['backup', 'approve'], ['backup', 'reject'], ['backup', 'status'], ['predict']]),
    );
    for (const path of paths) {
      let command = program;
      for (const name of path) command = command.commands.find((c) => c.name() === name)!;
      expect(command.description(), path.join(' ')).not.toBe('');
      expect(command.helpInformation()).toContain(`Usage: sentinel ${path.join(' ')}`);
    }
  });
  it('offers --json wherever a result is printed', () => {
    for (const path of [['backup', 'run'], ['backup', 'approve'], ['backup', 'reject'], ['backup', 'status'], ['predict']]) {
      let command = program;
      for (const name of path) command = command.commands.find((c) => c.name() === name)!;
      expect(
        command.options.map((o) => o.long),
        path.join(' '),
      ).toContain('--json');
    }
  });
});
