import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import { validateFreshnessCheckInput, type FreshnessCheckInput, type FreshnessCheckResult } from '../domain/freshness/contract.js';
import { exponentialRetry, rejectInvalidInput, sendAlertAndContinue } from './glue.js';

// One SQL statement for all targets plus a describe per scheduled target: seconds, even for a large fleet.
const checking = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '4m',
  heartbeatTimeout: '1m',
  retry: exponentialRetry({ initial: '5s', max: '1m', attempts: 3 }),
});

/**
 * Checks every target's age of last successful backup against its maxAge; opens a `stale-backup` incident for a
 * target past it and alerts once per incident (dedupe key `stale-backup:<id>`), and says so when a later success
 * resolves it (`stale-backup-resolved:<id>`). Paused or missing pre-backup schedules are reported. Started every
 * 5 minutes by the `sentinel/freshness-check` schedule, or by hand as `freshness-check/<ISO time>`.
 */
export async function freshnessCheckWorkflow(input: FreshnessCheckInput = {}): Promise<FreshnessCheckResult> {
  rejectInvalidInput('freshness check input', validateFreshnessCheckInput(input));
  const { workflowId } = workflowInfo();
  const { alerts, ...summary } = await checking.checkFreshness({ callerId: workflowId });
  const alertsSent: string[] = [];
  const alertsFailed: string[] = [];
  for (const alert of alerts) {
    const { dedupeKey, target, kind, severity, message, details } = alert;
    const sent = await sendAlertAndContinue({ dedupeKey, target, workflowId, kind, severity, message, details }, 'freshness alert could not be delivered', {
      dedupeKey,
    });
    (sent ? alertsSent : alertsFailed).push(dedupeKey);
  }
  const { counts } = summary;
  setCurrentDetails(
    `${counts.targets} targets: ${counts.fresh} fresh, ${counts.stale} stale (${counts.opened} opened, ${counts.resolved} resolved); ` +
      `schedules ${counts.schedulesPaused} paused, ${counts.schedulesMissing} missing; ${alertsSent.length} alert(s) sent`,
  );
  return { workflowId, ...summary, alertsSent, alertsFailed };
}
