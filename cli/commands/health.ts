import { Command } from 'commander';
import type { HealthReport } from '../../platform/health.js';
import type { CliContext } from '../context.js';
import { printResult } from '../output.js';
import { ExitCode } from '../exit-codes.js';

export function healthCommand(ctx: CliContext): Command {
  return new Command('health')
    .description('Say whether Temporal and PostgreSQL are reachable and whether a trained model is active (exit 1 when unhealthy)')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const temporal = await ctx.connectionSettings(); // unusable settings: one error line, exit 2
      const { checkHealth } = await import('../../platform/health.js');
      const db = await ctx.db().then(
        (d) => ({ pool: d.pool, error: undefined }),
        (error: Error) => ({ pool: undefined, error: error.message }),
      );
      const report = await checkHealth({
        temporal,
        pool: db.pool,
        ...(db.error ? { databaseError: db.error } : {}),
      });
      printResult(report, opts.json, (r: HealthReport) =>
        [
          `${r.healthy ? 'healthy' : 'UNHEALTHY'}`,
          `  temporal  ${r.temporal.ok ? 'ok  ' : 'FAIL'}  ${r.temporal.address}: ${r.temporal.detail}`,
          `  database  ${r.database.ok ? 'ok  ' : 'FAIL'}  ${r.database.detail}`,
          `  model     ${r.model.active ? 'ok  ' : '--  '}  ${r.model.detail}`,
        ].join('\n'),
      );
      if (!report.healthy) process.exitCode = ExitCode.error;
    });
}
