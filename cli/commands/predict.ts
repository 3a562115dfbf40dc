import { Command } from 'commander';
import type { Prediction } from '../../domain/risk/prediction.js';
import type { CliContext } from '../context.js';
import { nonNegative, numberIn, wholeNumber } from '../options.js';
import { printResult } from '../output.js';

export function predictCommand(ctx: CliContext): Command {
  return new Command('predict')
    .description("Predict the failure probability of a target's next backup, without starting a workflow")
    .requiredOption('--target <name>', 'target name from sentinel.yaml')
    .option('--estimated-duration <s>', 'expected backup duration in seconds', nonNegative)
    .option('--estimated-size <bytes>', 'expected backup size in bytes', nonNegative)
    .option('--database-size-gb <g>', 'database size in GB', nonNegative)
    .option('--free-space-gb <g>', 'free space on the backup destination in GB', nonNegative)
    .option('--success-rate <r>', "recent success rate (0..1); default: from the target's history", numberIn(0, 1))
    .option('--recent-failures <n>', "failures among the last runs; default: from the target's history", wholeNumber(0, 1000))
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const [{ predictFailure }, { resolveThreshold }] = await Promise.all([
        import('../../capabilities/prediction/predict.js'),
        import('../../capabilities/prediction/threshold.js'),
      ]);
      const target = await ctx.target(opts.target);
      const db = await ctx.db();
      const { threshold, source } = await resolveThreshold(db.pool, await ctx.config(), target);
      const context = {
        ...(opts.successRate !== undefined ? { successRate: opts.successRate } : {}),
        ...(opts.recentFailures !== undefined ? { recentFailures: opts.recentFailures } : {}),
      };
      const prediction = await predictFailure(
        { db: db.pool },
        {
          target: target.name,
          threshold,
          startAt: new Date().toISOString(),
          estimatedDurationSeconds: opts.estimatedDuration ?? target.estimatedDurationSeconds,
          estimatedSizeBytes: opts.estimatedSize ?? target.estimatedSizeBytes,
          databaseSizeGb: opts.databaseSizeGb ?? target.databaseSizeGb,
          freeSpaceGb: opts.freeSpaceGb ?? target.freeSpaceGb,
          context: Object.keys(context).length > 0 ? context : undefined,
        },
      );
      printResult({ ...prediction, thresholdSource: source }, opts.json, (p: Prediction) =>
        [
          `${p.target}: failure probability ${p.failureProbability} -> risk ${p.riskLevel} (threshold ${p.threshold}, model ${p.model.kind}, confidence ${p.confidence})`,
          ...p.riskFactors.map((f) => `  ${f.contribution >= 0 ? '+' : ''}${f.contribution.toFixed(2)}  ${f.factor}: ${f.description}`),
          'Recommended:',
          ...p.recommendedActions.map((a) => `  - ${a}`),
        ].join('\n'),
      );
    });
}
