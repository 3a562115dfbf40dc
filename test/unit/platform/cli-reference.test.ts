import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CliContext } from '../../../cli/context.js';
import { buildProgram } from '../../../cli/program.js';
import { cliReference } from '../../../cli/reference.js';

describe('docs/CLI.md', () => {
  it("matches the CLI's own help (run `npm run docs:cli` after changing a command)", async () => {
    expect(readFileSync('docs/CLI.md', 'utf8')).toBe(cliReference(await buildProgram(new CliContext())));
  });
});
