import { Command } from 'commander';
import type { ImportReport } from '../../capabilities/history/history-import.js';
import type { CliContext } from '../context.js';
import { wholeNumber } from '../options.js';
import { CliError, printResult } from '../output.js';
import { ExitCode } from '../exit-codes.js';

// The file readers, the importer, the generator and the progress bar are imported when a subcommand runs (`await
// import`), not when the command is built: `sentinel --help` builds every command and needs none of them.
const historyFile = () => import('../../capabilities/history/history-file.js');

const SHOWN_ERRORS = 20;
const SHOWN_CONFLICTS = 5;

export function historyCommand(ctx: CliContext): Command {
  const history = new Command('history').description("Backup history for the failure model: import a team's history, or generate a synthetic one");

  history
    .command('import')
    .description(
      'Import runs from a CSV or JSON Lines file (by extension) into backup_runs: idempotent on backup_id, bad rows reported ' +
        'with line number and reason, targets missing from sentinel.yaml imported and listed; a row whose backup_id is stored ' +
        'with different content is a conflict, not imported and listed (exit code 1)',
    )
    .argument('<file>', 'history file (.csv or .jsonl)')
    .option('--batch-size <n>', 'rows per INSERT', wholeNumber(1, 100_000), 5000)
    .option('--json', 'print JSON')
    .action(async (file: string, opts) => {
      const [{ HistoryFileError, historyFormatOf }, { importHistoryFile }, { default: cliProgress }] = await Promise.all([
        historyFile(),
        import('../../capabilities/history/history-import.js'),
        import('cli-progress'),
      ]);
      try {
        historyFormatOf(file);
      } catch (error) {
        throw new CliError((error as Error).message, ExitCode.invalidInput);
      }
      const knownTargets = await ctx
        .config()
        .then((config) => new Set(config.targets.map((t) => t.name)))
        .catch(() => null);
      const db = await ctx.db();
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'importing [{bar}] {percentage}% | {rows} rows | {eta_formatted} left', stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let started = false;
      let report: ImportReport;
      try {
        report = await importHistoryFile(db.pool, file, {
          knownTargets,
          batchSize: opts.batchSize,
          onProgress: ({ bytes, totalBytes, rows }) => {
            if (!bar) return;
            if (!started) {
              bar.start(Math.max(1, totalBytes), 0, { rows: 0 });
              started = true;
            }
            bar.update(bytes, { rows });
          },
        });
      } catch (error) {
        if (error instanceof HistoryFileError) throw new CliError(error.message);
        throw error;
      } finally {
        if (started) bar?.stop();
      }
      printResult({ ...report, configFound: knownTargets !== null }, opts.json, describeImport);
      // Rows the file asked to store were not stored: conflicts, or every row rejected.
      if (report.conflicts > 0 || (report.rejected > 0 && report.inserted + report.duplicates === 0)) process.exitCode = ExitCode.error;
    });

  history
    .command('generate')
    .description(
      'Write a seeded synthetic history (documented failure drivers: maintenance windows, low free space, unusually big runs, ' +
        'outgrown backup windows, persistent problems; see domain/ml/synthetic-history.ts) for demos, tests and benchmarks; ' +
        'backup IDs are gen-s<seed>-<target>-<run>, so files of different seeds import side by side',
    )
    .requiredOption('--targets <n>', 'number of targets (db-001, db-002, ...)', wholeNumber(1, 10_000))
    .requiredOption('--days <d>', 'days of history', wholeNumber(1, 3650))
    .requiredOption('--out <file>', 'output file (.csv or .jsonl)')
    .option('--seed <s>', 'seed (same seed, same history)', wholeNumber(0, 0xffffffff), 1)
    .option('--runs-per-day <n>', 'runs per target per day', wholeNumber(1, 288), 24)
    .option('--start <iso>', 'first day (UTC midnight); default: so that the history ends today')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const [{ historyFormatOf, writeHistoryFile }, { generateHistory }] = await Promise.all([historyFile(), import('../../domain/ml/synthetic-history.js')]);
      try {
        historyFormatOf(opts.out);
      } catch (error) {
        throw new CliError((error as Error).message, ExitCode.invalidInput);
      }
      const rows = opts.targets * opts.days * opts.runsPerDay;
      if (rows > 20_000_000) throw new CliError(`that is ${rows} runs; generate at most 20000000 at once`, ExitCode.invalidInput);
      let start: Date;
      if (opts.start) {
        start = new Date(opts.start);
        if (Number.isNaN(start.getTime())) throw new CliError(`--start must be an ISO date (got "${opts.start}")`, ExitCode.invalidInput);
      } else {
        const today = new Date();
        start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - opts.days * 86_400_000);
      }
      const runs = generateHistory({ targets: opts.targets, days: opts.days, seed: opts.seed, runsPerDay: opts.runsPerDay, start });
      const written = await writeHistoryFile(opts.out, runs);
      const failures = runs.filter((r) => r.status === 'failed').length;
      printResult(
        {
          file: opts.out,
          format: historyFormatOf(opts.out),
          rows: written,
          failures,
          failureRate: Math.round((failures / Math.max(1, written)) * 10_000) / 10_000,
          targets: opts.targets,
          from: runs[0]?.startedAt.toISOString() ?? null,
          to: runs.at(-1)?.startedAt.toISOString() ?? null,
          seed: opts.seed,
        },
        opts.json,
        (r: { file: string; rows: number; failures: number; failureRate: number; from: string | null; to: string | null }) =>
          `wrote ${r.rows} runs (${r.failures} failed, ${(r.failureRate * 100).toFixed(1)} %) from ${r.from} to ${r.to} to ${r.file}`,
      );
    });
  return history;
}

function describeImport(r: ImportReport & { configFound: boolean }): string {
  const lines = [
    `${r.file}: ${r.rows} rows read in ${r.seconds} s: ${r.inserted} imported, ${r.duplicates} already present, ` +
      (r.conflicts > 0
        ? `${r.conflicts} conflict${r.conflicts === 1 ? '' : 's'} (differing content): ${r.conflictIds.slice(0, SHOWN_CONFLICTS).join(', ')}${r.conflicts > SHOWN_CONFLICTS ? ', ...' : ''}, `
        : '') +
      `${r.rejected} rejected`,
  ];
  if (r.conflicts > 0)
    lines.push('conflicts are rows whose backup_id is stored with different content: they were not imported (exit code 1); give them IDs of their own');
  for (const e of r.errors.slice(0, SHOWN_ERRORS)) lines.push(`  line ${e.line}: ${e.reason}`);
  if (r.rejected > SHOWN_ERRORS) lines.push(`  ... and ${r.rejected - SHOWN_ERRORS} more (--json lists up to ${r.errors.length})`);
  if (r.ignoredColumns.length > 0) lines.push(`ignored columns: ${r.ignoredColumns.join(', ')}`);
  if (r.unknownTargets && r.unknownTargets.length > 0) {
    lines.push(`not in sentinel.yaml (imported anyway; history may precede the configuration): ${r.unknownTargets.join(', ')}`);
  } else if (!r.configFound) lines.push('no usable sentinel.yaml: targets were not checked against it');
  return lines.join('\n');
}
