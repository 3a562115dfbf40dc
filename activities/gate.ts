import { findTarget } from '../domain/settings/schema.js';
import type { PreBackupInput, ResolvedGate } from '../domain/pre-backup/contract.js';
import type { ActivityDeps } from './deps.js';
import { asActivityError } from '../platform/failures.js';
import { resolveThreshold } from '../capabilities/prediction/threshold.js';
import { gateFreshness } from '../capabilities/freshness/gate.js';

/** Merges the target's settings from sentinel.yaml with the caller's overrides. Carries no credentials. */
export function createGateActivities(deps: ActivityDeps) {
  return {
    async resolveGate(input: PreBackupInput): Promise<ResolvedGate> {
      try {
        const settings = await deps.loadSettings();
        const target = findTarget(settings, input.target);
        // `threshold: auto` is resolved here, in an activity, so the workflow code (and its replay) is unchanged.
        // Both lookups at once (independent reads): one round trip of the gate's decision latency instead of two.
        const [resolved, freshness] = await Promise.all([
          input.threshold === undefined ? resolveThreshold(deps.db, settings, target) : null,
          gateFreshness(deps, target),
        ]);
        return {
          target: target.name,
          kind: target.kind,
          policy: input.policy ?? target.policy,
          threshold: resolved ? resolved.threshold : (input.threshold as number),
          thresholdSource: resolved ? resolved.source : { mode: 'caller' },
          delayMinutes: input.delayMinutes ?? target.delayMinutes,
          maxDelays: input.maxDelays ?? target.maxDelays,
          approvalTimeoutMs: input.approvalTimeoutMs ?? target.approvalTimeout,
          timeoutSeconds: target.timeoutSeconds,
          ...optional('estimatedDurationSeconds', input.estimatedDurationSeconds ?? target.estimatedDurationSeconds),
          ...optional('estimatedSizeBytes', input.estimatedSizeBytes ?? target.estimatedSizeBytes),
          ...optional('databaseSizeGb', input.databaseSizeGb ?? target.databaseSizeGb),
          ...optional('freeSpaceGb', input.freeSpaceGb ?? target.freeSpaceGb),
          ...(target.kind === 'workflow' ? { childWorkflow: target.workflow } : {}),
          ...(target.approvers ? { approvers: target.approvers } : {}),
          freshness,
        };
      } catch (error) {
        throw asActivityError(error);
      }
    },
  };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
