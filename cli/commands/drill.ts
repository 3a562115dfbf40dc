import { Command } from 'commander';
import type { DrillRow } from '../../db/repositories/restore-drills.js';
import { describeDrill, type RestoreDrillResult } from '../../domain/drill/contract.js';
import { rootMessage } from '../../domain/errors/root-message.js';
import type { restoreDrillWorkflow } from '../../workflows/restore-drill.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { durationIn } from '../options.js';
import { CliError, printResult } from '../output.js';
import { DEFAULT_WAIT_TIMEOUT_MS, waitForResult } from '../wait.js';

export function drillCommand(ctx: CliContext): Command {
  const drill = new Command('drill').description('Restore drills: prove the newest dump restores and passes its checks (docs/backup-assurance.md)');

  drill
    .command('run')
    .description('Start restoreDrillWorkflow for a target; prints the workflow ID (with --wait, the drill; exit 1 when it failed)')
    .argument('<name>', 'target name from sentinel.yaml (postgres, or command with drill.command)')
    .option('--wait', 'wait for the drill to finish and print its outcome')
    .option(
      '--wait-timeout <duration>',
      `with --wait, stop waiting after this long (default 24h) and exit ${ExitCode.stillRunning}; implies --wait`,
      durationIn(1000, 30 * 86_400_000),
    )
    .option('--json', 'print JSON')
    .action(async (name: string, opts) => {
      const target = await ctx.target(name);
      if (target.kind === 'workflow')
        throw new CliError(`target "${name}" is a workflow target: restore drills run for postgres and command targets`, ExitCode.invalidInput);
      if (target.kind === 'command' && !target.drill)
        throw new CliError(`target "${name}" has no drill.command: declare the command that proves a restore`, ExitCode.invalidInput);
      // Imported when it runs: `sentinel --help` builds every command and should load no Temporal client.
      const [{ ApplicationFailure, WorkflowFailedError }, { SentinelClient }] = await Promise.all([
        import('@temporalio/client'),
        import('../../client/sentinel-client.js'),
      ]);
      const client = await ctx.client();
      const run = await SentinelClient.fromClient(client, ctx.env.taskQueue).startRestoreDrill({ target: name }, { at: new Date() });
      if (!opts.wait && opts.waitTimeout === undefined)
        return printResult({ workflowId: run.workflowId, runId: run.runId }, opts.json, (r: { workflowId: string }) => r.workflowId);
      const handle = client.workflow.getHandle<typeof restoreDrillWorkflow>(run.workflowId);
      let waited;
      try {
        waited = await waitForResult<RestoreDrillResult>(handle, {
          timeoutMs: opts.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS,
          progress: async () => `waiting for restore drill ${run.workflowId}`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowFailedError)) throw error;
        const invalid = error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidInput';
        throw new CliError(`${run.workflowId} failed: ${rootMessage(error)}`, invalid ? ExitCode.invalidInput : ExitCode.error);
      }
      if (!waited.finished) {
        printResult({ workflowId: run.workflowId, status: 'RUNNING' }, opts.json, () => `${run.workflowId}: still running`);
        process.exitCode = ExitCode.stillRunning;
        return;
      }
      printResult({ workflowId: run.workflowId, ...waited.result }, opts.json, (r: RestoreDrillResult) => describeOutcome(r));
      if (waited.result.status !== 'passed') process.exitCode = ExitCode.error;
    });

  drill
    .command('list')
    .description('Recorded restore drills, newest first: dump checked, status, restore time (RTO), checks, error')
    .option('--target <name>', 'only this target')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 50)
    .option('--json', 'print JSON')
    .action(async (opts) => {
      if (opts.target) await ctx.target(opts.target);
      const { listDrills } = await import('../../db/repositories/restore-drills.js');
      const rows = await listDrills((await ctx.db()).pool, { target: opts.target, limit: opts.limit });
      printResult(rows.map(toJson), opts.json, () => renderDrills(rows));
    });
  return drill;
}

function toJson(row: DrillRow) {
  return {
    drillId: row.drillId,
    target: row.target,
    kind: row.kind,
    status: row.status,
    backupId: row.backupId,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    restoreSeconds: row.restoreSeconds,
    checks: row.checks,
    error: row.error,
    scratchDatabase: row.scratchDatabase,
    cleaned: row.cleanedAt !== null,
  };
}

function renderDrills(rows: DrillRow[]): string {
  if (rows.length === 0) return 'no restore drills recorded';
  const header = ['STARTED', 'TARGET', 'STATUS', 'RTO', 'CHECKS', 'DUMP / ERROR'];
  const lines = rows.map((r) => [
    r.startedAt.toISOString().slice(0, 19),
    r.target,
    r.status,
    r.restoreSeconds === null ? '-' : `${r.restoreSeconds.toFixed(1)} s`,
    r.checks.length === 0 ? '-' : `${r.checks.filter((c) => c.passed).length}/${r.checks.length}`,
    r.error ?? r.backupId ?? '-',
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => l[k]!.length)));
  return [header, ...lines].map((l) => l.map((cell, k) => (k === l.length - 1 ? cell : cell.padEnd(widths[k]!))).join('  ')).join('\n');
}

function describeOutcome(r: RestoreDrillResult & { workflowId?: string }): string {
  return [
    describeDrill(r),
    ...r.checks.map(
      (c) =>
        `  ${c.passed ? 'ok  ' : 'FAIL'} ${c.kind === 'row-count' ? `rows of ${c.name}` : c.name} ${c.expect}${c.actual !== null ? ` (got ${c.actual})` : ''}${c.error ? `: ${c.error}` : ''}`,
    ),
    ...(r.status === 'failed' ? [`alert ${r.alertSent ? 'sent' : 'NOT delivered'}`] : []),
  ].join('\n');
}
