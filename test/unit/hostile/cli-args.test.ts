/**
 * `sentinel` arguments under hostile input. Every command path is parsed with random mixes of its own options and
 * arguments, hostile values and junk tokens; command actions are replaced by a recorder, so what is exercised is
 * commander plus every option parser the commands declare (numbers, ranges, dates, JSON, lists, choices), never
 * a server. A refusal must be a CommanderError (InvalidArgumentError included) with a clear message.
 */
import type { Command } from 'commander';
import { CommanderError, InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSizes } from '../../../cli/commands/forecast.js';
import { CliContext } from '../../../cli/context.js';
import { nonNegative, numberIn, wholeNumber } from '../../../cli/options.js';
import { CliError } from '../../../cli/output.js';
import { buildProgram, commandPaths } from '../../../cli/program.js';
import { anyText, tokenSoup } from './arbitraries.js';
import { RUNS_CHEAP, RUNS_MEDIUM } from './budgets.js';
import { expectClearOutcome, expectClearOutcomeAsync, hostileParameters } from './expect-clear-error.js';

const numberText = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('', ' ', '1e400', '-0', '0x1F', '0b11', '1_000', 'Infinity', 'NaN', '٣', '１', '1 2', '\u00a01', '9007199254740993', '.5', '5.', '+3'),
  anyText(12),
);
const optionValue = fc.oneof(
  numberText,
  tokenSoup(6),
  anyText(30),
  fc.constantFrom(
    '2026-01-01T00:00:00Z',
    '2999-01-01',
    'yesterday',
    '{"nTrees":5}',
    '{"a":',
    '[]',
    'null',
    '10.5,11.2',
    '1,,2',
    '-1,2',
    'rules',
    'duration',
    'size',
    'env',
    'file',
    'app',
    'x=y',
    'a=/nonexistent.json',
    '--',
    '-',
  ),
);

describe('option parsers (cli/options.ts, forecast --sizes)', () => {
  it(`numberIn/wholeNumber/nonNegative return a number in range or an InvalidArgumentError naming it (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(numberText, fc.double({ noNaN: true }), fc.double({ noNaN: true }), (raw, a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        for (const parse of [numberIn(min, max), wholeNumber(Math.ceil(min), Math.floor(max)), nonNegative]) {
          const outcome = expectClearOutcome(() => parse(raw), { accept: [InvalidArgumentError] });
          if (outcome.ok) expect(Number.isFinite(outcome.value)).toBe(true);
        }
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`parseSizes returns finite sizes >= 0 or names the bad item (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(numberText, { maxLength: 10 }).map((items) => items.join(',')),
          anyText(40),
        ),
        (raw) => {
          const outcome = expectClearOutcome(() => parseSizes(raw), { accept: [InvalidArgumentError] });
          if (outcome.ok) for (const size of outcome.value) expect(Number.isFinite(size) && size >= 0).toBe(true);
        },
      ),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

function silence(command: Command): void {
  command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const sub of command.commands) silence(sub);
}

/** Replaces every action by a recorder: parsing (and the option parsers) run, nothing touches Temporal or a database. */
function recordActions(command: Command, reached: string[]): void {
  if (command.commands.length === 0) command.action(() => void reached.push(command.name()));
  for (const sub of command.commands) recordActions(sub, reached);
}

describe('the whole sentinel command line', () => {
  const ctx = new CliContext();
  let paths: string[][] = [];
  let optionsByPath = new Map<string, string[]>();

  beforeAll(async () => {
    const program = await buildProgram(ctx, 'all');
    paths = commandPaths(program).filter((path) => path.length > 0);
    optionsByPath = new Map(
      paths.map((path) => {
        let command: Command = program;
        for (const name of path) command = command.commands.find((c) => c.name() === name)!;
        return [path.join(' '), command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined))];
      }),
    );
  });

  it(`parses random argument lists for every command, or refuses them with a CommanderError (${RUNS_MEDIUM} inputs)`, async () => {
    const argv = fc
      .nat()
      .chain((pick) => {
        const path = paths[pick % paths.length]!;
        const flags = optionsByPath.get(path.join(' ')) ?? [];
        const token = fc.oneof(
          { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...(flags.length > 0 ? flags : ['--json'])), optionValue).map(([flag, value]) => [flag, value]) },
          {
            weight: 1,
            arbitrary: fc.tuple(fc.constantFrom(...(flags.length > 0 ? flags : ['--json'])), optionValue).map(([flag, value]) => [`${flag}=${value}`]),
          },
          { weight: 2, arbitrary: optionValue.map((v) => [v]) },
          { weight: 1, arbitrary: fc.constantFrom(['--help'], ['-h'], ['--version'], ['--'], ['--no-such-option'], ['-x']) },
        );
        return fc.tuple(fc.constant(path), fc.array(token, { maxLength: 8 }));
      })
      .map(([path, tokens]) => [...path, ...tokens.flat()]);

    const tally = { actions: 0, refusals: 0 };
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const program = await buildProgram(ctx, ['node', 'sentinel', ...args]);
        silence(program);
        const reached: string[] = [];
        recordActions(program, reached);
        const outcome = await expectClearOutcomeAsync(() => program.parseAsync(['node', 'sentinel', ...args]), { accept: [CommanderError, CliError] });
        if (outcome.ok) expect(reached.length).toBeLessThanOrEqual(1);
        tally.actions += reached.length;
        tally.refusals += outcome.ok ? 0 : 1;
      }),
      hostileParameters(RUNS_MEDIUM),
    );
    // Both sides of the property were exercised: some argument lists parse, some are refused.
    expect(tally.actions).toBeGreaterThan(0);
    expect(tally.refusals).toBeGreaterThan(0);
  });

  it('knows every command path it is fuzzing', () => {
    expect(paths.length).toBeGreaterThan(20);
    expect(paths).toEqual(expect.arrayContaining([['backup', 'run'], ['config', 'restore'], ['forecast'], ['model', 'train'], ['schedules', 'apply']]));
  });
});
