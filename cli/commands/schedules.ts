import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { ApplyReport } from '../../schedules/apply.js';
import { SCHEDULE_ID_PREFIX } from '../../schedules/types.js';
import type { CliContext } from '../context.js';
import { CliError, printResult } from '../output.js';
import { ExitCode } from '../exit-codes.js';

/** Accepts `config-backup` or `sentinel/config-backup`. */
const scheduleId = (name: string) => (name.startsWith(SCHEDULE_ID_PREFIX) ? name : `${SCHEDULE_ID_PREFIX}${name}`);

const isoDate = (raw: string): Date => {
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`must be an ISO 8601 date-time (got "${raw}")`);
  return date;
};

export function schedulesCommand(ctx: CliContext): Command {
  const schedules = new Command('schedules').description('Create, inspect and control the Temporal Schedules declared in schedules/');

  schedules
    .command('apply')
    .description('Create missing schedules, update changed ones, delete ones this project created that are no longer declared')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      // Imported when it runs, not for `sentinel --help` (the catalog loads the workflows' definitions).
      const [{ declaredSchedules }, { applySchedules }] = await Promise.all([import('../../schedules/index.js'), import('../../schedules/apply.js')]);
      const config = await ctx.config();
      const report = await applySchedules(await ctx.client(), declaredSchedules({ config, timezone: config.timezone }), {
        taskQueue: ctx.env.taskQueue,
        dryRun: Boolean(opts.dryRun),
      });
      printResult(report, opts.json, (r: ApplyReport) =>
        [
          `${r.dryRun ? '(dry run) ' : ''}created ${r.created.length}, updated ${r.updated.length}, deleted ${r.deleted.length}, unchanged ${r.unchanged.length}${r.skipped.length ? `, skipped ${r.skipped.length}` : ''}`,
          ...r.created.map((id) => `  + ${id}`),
          ...r.updated.map((id) => `  ~ ${id}`),
          ...r.deleted.map((id) => `  - ${id}`),
          ...r.skipped.map((s) => `  ! ${s.id}: skipped, ${s.reason}; run apply again`),
        ].join('\n'),
      );
      // The others are applied; a non-zero exit makes a retrying job (Compose `restart: on-failure`) apply again.
      if (report.skipped.length > 0) process.exitCode = ExitCode.error;
    });

  schedules
    .command('list')
    .description("List this project's schedules with their next run times")
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const client = await ctx.client();
      const rows: ScheduleRow[] = [];
      for await (const summary of client.schedule.list()) {
        if (!summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) continue;
        rows.push({
          id: summary.scheduleId,
          workflowType: summary.action?.type === 'startWorkflow' ? summary.action.workflowType : null,
          paused: summary.state.paused,
          note: summary.state.note ?? null,
          nextActionTimes: summary.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString()),
          recentActions: summary.info.recentActions
            .slice(-3)
            .map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
        });
      }
      rows.sort((a, b) => a.id.localeCompare(b.id));
      printResult(
        rows,
        opts.json,
        (r: ScheduleRow[]) =>
          r.map((s) => `${s.id}${s.paused ? ' (paused)' : ''}  ${s.workflowType}  next ${s.nextActionTimes[0] ?? '-'}`).join('\n') ||
          'no schedules; run `sentinel schedules apply`',
      );
    });

  for (const verb of ['pause', 'unpause', 'trigger'] as const) {
    schedules
      .command(verb)
      .description(verb === 'trigger' ? "Start the schedule's workflow now" : `${verb === 'pause' ? 'Pause' : 'Unpause'} a schedule`)
      .argument('<name>', 'schedule name, e.g. config-backup or sentinel/config-backup')
      .option('--json', 'print JSON')
      .action(async (name: string, opts) => {
        const handle = await existingSchedule(await ctx.client(), scheduleId(name));
        const note = (await handle.describe()).state.note;
        if (verb === 'pause') await handle.pause(note);
        else if (verb === 'unpause') await handle.unpause(note);
        else await handle.trigger();
        printResult({ id: handle.scheduleId, action: verb }, opts.json, () => `${handle.scheduleId}: ${verb === 'trigger' ? 'triggered' : `${verb}d`}`);
      });
  }

  schedules
    .command('backfill')
    .description('Run the schedule for every time it would have fired between --from and --to')
    .argument('<name>', 'schedule name')
    .requiredOption('--from <iso>', 'start of the period (ISO 8601)', isoDate)
    .requiredOption('--to <iso>', 'end of the period (ISO 8601)', isoDate)
    .option('--json', 'print JSON')
    .action(async (name: string, opts) => {
      if (opts.to <= opts.from) throw new CliError('--to must be after --from', ExitCode.invalidInput);
      const handle = await existingSchedule(await ctx.client(), scheduleId(name));
      await handle.backfill({ start: opts.from, end: opts.to, overlap: 'ALLOW_ALL' });
      printResult(
        { id: handle.scheduleId, from: opts.from.toISOString(), to: opts.to.toISOString() },
        opts.json,
        () => `${handle.scheduleId}: backfill requested`,
      );
    });
  return schedules;
}

interface ScheduleRow {
  id: string;
  workflowType: string | null;
  paused: boolean;
  note: string | null;
  nextActionTimes: string[];
  recentActions: Array<{ scheduledAt: string; workflowId: string }>;
}

async function existingSchedule(client: Client, id: string) {
  const handle = client.schedule.getHandle(id);
  const { ScheduleNotFoundError } = await import('@temporalio/client');
  try {
    await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new CliError(`no schedule "${id}"; see \`sentinel schedules list\``);
    throw error;
  }
  return handle;
}
