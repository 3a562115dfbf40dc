import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import os from 'node:os';
import { Command, Option } from 'commander';
import type { ApprovalRow } from '../../db/repositories/approvals.js';
import type { PreBackupInput, PreBackupResult, PreBackupState } from '../../domain/pre-backup/contract.js';
import type { preBackupWorkflow } from '../../workflows/pre-backup.js';
import type { CliContext } from '../context.js';
import { ExitCode, preBackupExitCode } from '../exit-codes.js';
import { durationIn, nonNegative, numberIn, wholeNumber } from '../options.js';
import { DEFAULT_WAIT_TIMEOUT_MS, waitForResult } from '../wait.js';
import type { Prediction } from '../../domain/risk/prediction.js';
import { CliError, printResult } from '../output.js';
import { rootMessage } from '../../domain/errors/root-message.js';
import { requireCommonJs } from '../../platform/commonjs.js';
import type { ListedDump, PruneTargetReport } from '../../capabilities/dumps/retention.js';

// The Temporal client library, SentinelClient and the workflow's definitions are imported when a subcommand runs (with
// `await import`), not when the command is built: `sentinel --help` builds every command and needs none of them.
const workflowDefinitions = () => import('../../workflows/pre-backup.js');

export function backupCommand(ctx: CliContext): Command {
  const backup = new Command('backup').description('Run the pre-backup gate for a target, answer or inspect gated runs, list and prune dumps');

  backup
    .command('run')
    .description('Start preBackupWorkflow for a target; prints the workflow ID (with --wait, the result)')
    .argument('<name>', 'target name from sentinel.yaml')
    .option('--wait', 'wait for the run to finish and print its result; the exit code says how it ended (see `sentinel --help`)')
    .option(
      '--wait-timeout <duration>',
      `with --wait, stop waiting after this long (e.g. 90s, 30m, 2h; default 24h) and exit ${ExitCode.stillRunning}; implies --wait`,
      durationIn(1000, 30 * 86_400_000),
    )
    .option('--json', 'print JSON')
    .addOption(new Option('--policy <policy>', "override the target's high-risk policy").choices(['delay', 'manual']))
    .option('--threshold <p>', 'override the failure probability above which risk is high', numberIn(0.000001, 1))
    .option('--delay-minutes <m>', 'override the delay before re-predicting', numberIn(0.001, 7 * 24 * 60))
    .option('--max-delays <n>', 'override how many delays before escalating to manual', wholeNumber(0, 100))
    .option('--approval-timeout <seconds>', 'override how long to wait for approval', numberIn(1, 30 * 86_400))
    .option('--estimated-duration <s>', 'expected backup duration in seconds', nonNegative)
    .option('--estimated-size <bytes>', 'expected backup size in bytes', nonNegative)
    .option('--database-size-gb <g>', 'database size in GB', nonNegative)
    .option('--free-space-gb <g>', 'free space on the backup destination in GB', nonNegative)
    .action(async (name: string, opts) => {
      await ctx.target(name);
      const input: PreBackupInput = {
        target: name,
        ...(opts.policy ? { policy: opts.policy } : {}),
        ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
        ...(opts.delayMinutes !== undefined ? { delayMinutes: opts.delayMinutes } : {}),
        ...(opts.maxDelays !== undefined ? { maxDelays: opts.maxDelays } : {}),
        ...(opts.approvalTimeout !== undefined ? { approvalTimeoutMs: opts.approvalTimeout * 1000 } : {}),
        ...(opts.estimatedDuration !== undefined ? { estimatedDurationSeconds: opts.estimatedDuration } : {}),
        ...(opts.estimatedSize !== undefined ? { estimatedSizeBytes: opts.estimatedSize } : {}),
        ...(opts.databaseSizeGb !== undefined ? { databaseSizeGb: opts.databaseSizeGb } : {}),
        ...(opts.freeSpaceGb !== undefined ? { freeSpaceGb: opts.freeSpaceGb } : {}),
      };
      const client = await ctx.client();
      const [{ SentinelClient }, { stateQuery }] = await Promise.all([import('../../client/sentinel-client.js'), workflowDefinitions()]);
      // Through SentinelClient, like every other caller: one run per target and start time, never a second backup.
      const run = await SentinelClient.fromClient(client, ctx.env.taskQueue).startPreBackup(input, { scheduledAt: new Date() });
      const handle = client.workflow.getHandle<typeof preBackupWorkflow>(run.workflowId);
      if (!opts.wait && opts.waitTimeout === undefined)
        return printResult({ workflowId: run.workflowId, runId: run.runId }, opts.json, (r: { workflowId: string }) => r.workflowId);
      const waited = await waitForPreBackup(handle, opts.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS);
      if (!waited.finished) {
        const state = await handle.query(stateQuery).catch(() => null);
        printResult(
          { workflowId: handle.workflowId, status: 'RUNNING', state },
          opts.json,
          () =>
            `${handle.workflowId}: still running${state ? ` (${state.phase})` : ''} after ${formatMs(opts.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS)}; see \`sentinel backup status ${handle.workflowId}\``,
        );
        process.exitCode = ExitCode.stillRunning;
        return;
      }
      printResult({ workflowId: handle.workflowId, ...waited.result }, opts.json, (r: PreBackupResult & { workflowId: string }) => describeResult(r));
      process.exitCode = preBackupExitCode(waited.result);
    });

  for (const verb of ['approve', 'reject'] as const) {
    backup
      .command(verb)
      .description(`${verb === 'approve' ? 'Approve' : 'Reject'} a run that is awaiting a decision`)
      .argument('<workflowId>', 'the pre-backup workflow ID')
      .option('--by <who>', "who decides (checked against the target's `approvers`; default: the OS user running the CLI)", currentUser())
      .option('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (workflowId: string, opts) => {
        const { handle } = await existingHandle(await ctx.client(), workflowId);
        const { decideUpdate } = await workflowDefinitions();
        try {
          const state = await handle.executeUpdate(decideUpdate, {
            args: [{ decision: verb, by: opts.by, via: 'cli', ...(opts.reason ? { reason: opts.reason } : {}) }],
          });
          printResult(
            { workflowId, accepted: true, approval: state.approval },
            opts.json,
            () => `${workflowId}: ${verb === 'approve' ? 'approved' : 'rejected'} by ${opts.by}`,
          );
        } catch (error) {
          throw new CliError(`${workflowId}: decision refused: ${rootMessage(error)}`);
        }
      });
  }

  backup
    .command('approvals')
    .description('List recorded approve/reject decisions (kept in PostgreSQL, beyond Temporal retention), newest first')
    .option('--target <name>', 'only this target')
    .option('--workflow <workflowId>', 'only this pre-backup run')
    .option('--limit <n>', 'at most N decisions (default 1000)', wholeNumber(1, 100_000))
    .option('--json', 'print JSON')
    .action(async (opts: { target?: string; workflow?: string; limit?: number; json?: boolean }) => {
      const { listApprovals } = await import('../../db/repositories/approvals.js');
      const rows = await listApprovals((await ctx.db()).pool, { target: opts.target, workflowId: opts.workflow, limit: opts.limit });
      printResult(rows, opts.json, (list: ApprovalRow[]) =>
        list.length === 0
          ? 'no recorded approvals'
          : [
              `${'DECIDED AT'.padEnd(24)}  ${'TARGET'.padEnd(20)}  ${'DECISION'.padEnd(8)}  ${'OUTCOME'.padEnd(8)}  ${'BY'.padEnd(16)}  ${'VIA'.padEnd(13)}  WORKFLOW / REASON`,
              ...list.map(
                (a) =>
                  `${a.decidedAt.padEnd(24)}  ${a.target.padEnd(20)}  ${a.decision.padEnd(8)}  ${a.outcome.padEnd(8)}  ${a.by.padEnd(16)}  ${`${a.via}/${a.transport}`.padEnd(13)}  ${a.workflowId}${a.reason ? `: ${a.reason}` : ''}${a.note ? ` (${a.note})` : ''}`,
              ),
            ].join('\n'),
      );
    });

  backup
    .command('status')
    .description('Show the state of a pre-backup run (phase, prediction, decision, delays, backup result)')
    .argument('<workflowId>', 'the pre-backup workflow ID')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, opts) => {
      const { handle, description } = await existingHandle(await ctx.client(), workflowId);
      const status = description.status.name;
      let state: PreBackupState | undefined;
      let result: PreBackupResult | undefined;
      let failure: string | undefined;
      if (status === 'COMPLETED') result = await handle.result();
      // The workflow's definitions (and @temporalio/workflow) only for the query: a finished run's status skips them.
      else if (status === 'RUNNING') state = await handle.query((await workflowDefinitions()).stateQuery);
      else
        failure = await handle.result().then(
          () => undefined,
          (error: Error) => rootMessage(error),
        );
      const out = {
        workflowId,
        runId: description.runId,
        status,
        startTime: description.startTime,
        closeTime: description.closeTime ?? null,
        state: state ?? null,
        result: result ?? null,
        ...(failure ? { failure } : {}),
      };
      printResult(out, opts.json, () =>
        [
          `${workflowId}: ${status}${state ? ` (${state.phase})` : ''}`,
          ...(state?.prediction ? [`risk ${state.prediction.riskLevel} (${state.prediction.failureProbability}), delays ${state.delays}`] : []),
          ...(state ? describeApproval(state.approval) : []),
          ...(state?.phase === 'awaiting-approval' && !state.approval
            ? [`awaiting a decision: sentinel backup approve|reject ${workflowId} --reason TEXT`]
            : []),
          ...(state?.prediction ? describeRisk(state.prediction) : []),
          ...(result ? [describeResult({ workflowId, ...result }), ...describeRisk(result.prediction)] : []),
          ...(failure ? [`failed: ${failure}`] : []),
        ].join('\n'),
      );
    });

  backup
    .command('list')
    .description('Dumps in BACKUP_DIR, newest first: size, checksum, newest drill status, whether retention pruned it')
    .option('--target <name>', 'only this target')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      if (opts.target) await ctx.target(opts.target);
      const { listDumps } = await import('../../capabilities/dumps/retention.js');
      const dumps = await listDumps((await ctx.db()).pool, { target: opts.target });
      printResult(dumps, opts.json, () => renderDumps(dumps));
    });

  backup
    .command('prune')
    .description("Apply each target's keep policy to its dumps (also done after every successful backup); never the newest drilled dump")
    .option('--target <name>', 'only this target')
    .option('--dry-run', 'show what would be pruned and why each dump is kept; change nothing')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const settings = await ctx.config();
      if (opts.target) {
        const target = await ctx.target(opts.target);
        if (target.kind !== 'postgres' || !target.keep)
          throw new CliError(
            `target "${opts.target}" has no keep policy: add keep (e.g. { daily: 7, weekly: 4 }) to it in sentinel.yaml`,
            ExitCode.invalidInput,
          );
      }
      const { pruneDumps } = await import('../../capabilities/dumps/retention.js');
      const reports = await pruneDumps((await ctx.db()).pool, settings, { target: opts.target, dryRun: Boolean(opts.dryRun) });
      printResult(reports, opts.json, () => renderPrune(reports));
      if (reports.some((r) => r.error)) process.exitCode = ExitCode.error;
    });
  return backup;
}

function renderDumps(dumps: ListedDump[]): string {
  if (dumps.length === 0) return 'no dumps recorded';
  const header = ['STARTED', 'TARGET', 'SIZE', 'DRILL', 'PRUNED', 'SHA-256', 'BACKUP ID'];
  const lines = dumps.map((d) => [
    d.startedAt.slice(0, 19),
    d.target,
    d.sizeBytes === null ? '-' : `${(d.sizeBytes / 1e6).toFixed(1)} MB`,
    d.drillStatus ?? '-',
    d.pruned ? 'pruned' : '-',
    d.sha256 ? d.sha256.slice(0, 12) : '-',
    d.backupId,
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => l[k]!.length)));
  return [header, ...lines].map((l) => l.map((cell, k) => (k === l.length - 1 ? cell : cell.padEnd(widths[k]!))).join('  ')).join('\n');
}

function renderPrune(reports: PruneTargetReport[]): string {
  if (reports.length === 0) return 'no target has a keep policy: nothing to prune';
  return reports
    .map((r) =>
      r.error
        ? `${r.target}: prune failed: ${r.error}`
        : [
            `${r.target}: ${r.policy}; ${r.dryRun ? 'would prune' : 'pruned'} ${r.pruned.length}, kept ${r.kept.length}${r.freedBytes > 0 ? ` (${(r.freedBytes / 1e6).toFixed(1)} MB)` : ''}`,
            ...r.kept.map((k) => `  keep   ${k.startedAt}  ${k.backupId}  (${k.reasons.join(', ')})`),
            ...r.pruned.map((p) => `  ${r.dryRun ? 'would ' : ''}prune  ${p.startedAt}  ${p.backupId}`),
          ].join('\n'),
    )
    .join('\n');
}

/** The run's handle and its description (one DescribeWorkflowExecution: `backup status` prints from it), or exit 2. */
async function existingHandle(
  client: Client,
  workflowId: string,
): Promise<{ handle: WorkflowHandle<typeof preBackupWorkflow>; description: WorkflowExecutionDescription }> {
  const handle = client.workflow.getHandle<typeof preBackupWorkflow>(workflowId);
  const { WorkflowNotFoundError } = requireCommonJs('@temporalio/client') as typeof import('@temporalio/client');
  try {
    return { handle, description: await handle.describe() };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new CliError(`no workflow with ID "${workflowId}"`, ExitCode.invalidInput);
    throw error;
  }
}

function describeResult(r: PreBackupResult & { workflowId: string }): string {
  const lines = [
    `${r.workflowId}: ${r.decision}`,
    `risk ${r.prediction.riskLevel} (${r.prediction.failureProbability}, model ${r.prediction.model.kind}), delays ${r.delays}`,
  ];
  if (r.backup)
    lines.push(
      `backup ${r.backup.status} in ${r.backup.durationSeconds.toFixed(1)} s${r.backup.path ? ` -> ${r.backup.path}` : ''}${r.backup.error ? `: ${r.backup.error}` : ''}`,
    );
  lines.push(...describeApproval(r.approval ?? null));
  if (r.skipReason && !(r.decision === 'rejected' && r.approval)) lines.push(`skipped: ${r.skipReason}`);
  for (const a of r.anomalies.filter((x) => x.isAnomaly)) lines.push(`anomaly: ${a.metric} ${a.direction} usual (z=${a.score.toFixed(1)}, ${a.severity})`);
  return lines.join('\n');
}

/** Who decided and why; the state and the result carry the same `approval` field. */
function describeApproval(approval: PreBackupResult['approval'] | null): string[] {
  return approval ? [`${approval.decision} by ${approval.by}${approval.reason ? `: ${approval.reason}` : ' (no reason given)'}`] : [];
}

/** The prediction's reasons, strongest first, and what to do about them: what a person needs to decide. */
function describeRisk(prediction: Prediction): string[] {
  const factors = [...prediction.riskFactors].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return [
    ...(factors.length > 0
      ? ['risk factors:', ...factors.map((f) => `  ${f.contribution >= 0 ? '+' : ''}${f.contribution.toFixed(2)}  ${f.description}`)]
      : ['risk factors: none reported']),
    ...(prediction.recommendedActions.length > 0 ? ['recommended actions:', ...prediction.recommendedActions.map((a) => `  - ${a}`)] : []),
  ];
}

/** Waits for a pre-backup run, showing its phase (and how to answer it when it waits for a person). */
function waitForPreBackup(handle: WorkflowHandle<typeof preBackupWorkflow>, timeoutMs: number) {
  return waitForResult<PreBackupResult>(handle, {
    timeoutMs,
    progress: async () => {
      const { stateQuery } = await workflowDefinitions();
      const state = await handle.query(stateQuery);
      const hint = state.phase === 'awaiting-approval' ? ` (sentinel backup approve|reject ${handle.workflowId})` : '';
      return `waiting for pre-backup workflow ${handle.workflowId}: ${state.phase}${hint}`;
    },
  }).catch(async (error: unknown) => {
    const { ApplicationFailure, WorkflowFailedError } = requireCommonJs('@temporalio/client') as typeof import('@temporalio/client');
    if (!(error instanceof WorkflowFailedError)) throw error;
    // The run itself failed (not its backup): an invalid input is the caller's mistake, anything else a failed backup.
    const invalid = error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidInput';
    throw new CliError(`${handle.workflowId} failed: ${rootMessage(error)}`, invalid ? ExitCode.invalidInput : ExitCode.backupFailed);
  });
}

function formatMs(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/** The OS user running the CLI, the default `--by`: a free-text default ("operator") would make the audit useless. */
function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
