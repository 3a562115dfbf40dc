/**
 * Activities of the live quality monitor (workflows/model-monitor.ts): the check (stored once per workflow run, so a
 * retry returns the first verdict) and the claim of an automatic rollback (once per degradation, ever).
 */
import { assessLiveQuality } from '../../capabilities/models/model-monitor.js';
import { claimAudit, insertCheck } from '../../db/repositories/model-monitor.js';
import {
  AUTOMATIC_ROLLBACK_EVENT,
  type CheckModelQualityResult,
  type ClaimRollbackResult,
  type LiveQualityReport,
} from '../../domain/models/monitor-contract.js';
import { invalidInput } from '../../platform/failures.js';
import type { ActivityDeps } from '../deps.js';

/** rollbackModelWorkflow accepts a reason of at most 1000 characters. */
const MAX_REASON = 1000;

export function rollbackReasonOf(report: LiveQualityReport): string | null {
  if (report.response.action !== 'rollback') return null;
  const reason = `automatic rollback of model ${report.modelVersion} to ${report.response.toVersion}: ${report.reason}`;
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 3)}...` : reason;
}

export async function checkModelQuality(
  deps: Pick<ActivityDeps, 'db' | 'loadSettings' | 'log'>,
  input: { checkedBy: string; dedupeKey: string },
): Promise<CheckModelQualityResult> {
  if (!input?.checkedBy || !input.dedupeKey) throw invalidInput('checkModelQuality needs checkedBy and dedupeKey');
  const settings = await deps.loadSettings();
  const fresh = await assessLiveQuality(deps.db, settings);
  // A retried activity finds the check its first attempt stored and returns that verdict, not a second opinion.
  const stored = await insertCheck(deps.db, {
    modelVersion: fresh.modelVersion,
    verdict: fresh.verdict,
    report: fresh,
    checkedBy: input.checkedBy,
    dedupeKey: input.dedupeKey,
  });
  const report = stored.report as unknown as LiveQualityReport;
  deps.log.info({ model: report.modelVersion, verdict: report.verdict, response: report.response.action }, 'model live quality checked');
  return { report, rollbackReason: rollbackReasonOf(report) };
}

export async function claimAutomaticRollback(
  deps: Pick<ActivityDeps, 'db'>,
  input: { degradationKey: string; version: number; toVersion: number; actor: string; reason: string; details: Record<string, unknown> },
): Promise<ClaimRollbackResult> {
  if (!input?.degradationKey || !input.actor) throw invalidInput('claimAutomaticRollback needs degradationKey and actor');
  return claimAudit(deps.db, {
    event: AUTOMATIC_ROLLBACK_EVENT,
    version: input.version,
    previousVersion: input.toVersion,
    actor: input.actor,
    reason: input.reason,
    details: input.details,
    dedupeKey: `${AUTOMATIC_ROLLBACK_EVENT}:${input.degradationKey}`,
  });
}

export function createModelMonitorActivities(deps: ActivityDeps) {
  return {
    checkModelQuality: (input: { checkedBy: string; dedupeKey: string }) => checkModelQuality(deps, input),
    claimAutomaticRollback: (input: Parameters<typeof claimAutomaticRollback>[1]) => claimAutomaticRollback(deps, input),
  };
}
