// The 5-minute freshness check: a target past its maxAge (incident opened, one alert), then backed up again
// (incident resolved, one resolve alert), then nothing left to say.
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { freshnessCheckWorkflowId, type FreshnessCheckResult } from '../../domain/freshness/contract.js';
import { completed, RECORDED_AT, type Recorder } from './recording.js';
import { TASK_QUEUE } from './stack.js';

const HOUR = 3_600_000;
const TARGET = 'freshness-cmd';

export function freshnessTargets(): unknown[] {
  return [{ name: TARGET, kind: 'command', command: 'true', maxAge: '1h' }];
}

export async function recordFreshness(r: Recorder): Promise<void> {
  const { client, pool } = r.stack;
  const run = (n: number, startedAt: Date) =>
    insertBackupRun(pool, {
      backupId: `${TARGET}-seed-${n}`,
      target: TARGET,
      startedAt,
      endedAt: null,
      status: 'completed',
      durationSeconds: 60,
      sizeBytes: 1e6,
      source: 'import',
    });
  const check = (scenario: string) =>
    client.workflow.start('freshnessCheckWorkflow', { taskQueue: TASK_QUEUE, workflowId: `${freshnessCheckWorkflowId(RECORDED_AT)}-${scenario}`, args: [{}] });

  await run(1, new Date(Date.now() - 3 * HOUR));
  await r.capture<FreshnessCheckResult>(
    'freshnessCheckWorkflow',
    'stale-incident-alert-sent',
    await check('stale-incident-alert-sent'),
    completed((result) =>
      result.counts.opened === 1 && result.alertsSent.length === 1 ? undefined : `opened ${result.counts.opened}, sent [${result.alertsSent.join(', ')}]`,
    ),
  );
  await run(2, new Date());
  await r.capture<FreshnessCheckResult>(
    'freshnessCheckWorkflow',
    'resolved-alert-sent',
    await check('resolved-alert-sent'),
    completed((result) =>
      result.counts.resolved === 1 && result.alertsSent.length === 1 ? undefined : `resolved ${result.counts.resolved}, sent [${result.alertsSent.join(', ')}]`,
    ),
  );
  await r.capture<FreshnessCheckResult>(
    'freshnessCheckWorkflow',
    'all-fresh-no-alert',
    await check('all-fresh-no-alert'),
    completed((result) => (result.alertsSent.length === 0 ? undefined : `sent [${result.alertsSent.join(', ')}]`)),
  );
}
