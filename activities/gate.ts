import { findTarget, type SentinelSettings, type TargetConfig } from '../domain/settings/schema.js';
import type { GateFreshness } from '../domain/freshness/contract.js';
import { predictionRequestFor, type GateOpening, type GateOpeningInput, type PreBackupInput, type ResolvedGate } from '../domain/pre-backup/contract.js';
import type { ActivityDeps } from './deps.js';
import { asActivityError } from '../platform/failures.js';
import { resolveThreshold } from '../capabilities/prediction/threshold.js';
import { gateFreshness } from '../capabilities/freshness/gate.js';
import { predictAndLog } from './prediction.js';

/** Merges the target's settings from sentinel.yaml with the caller's overrides. Carries no credentials. */
export function createGateActivities(deps: ActivityDeps) {
  return {
    async resolveGate(input: PreBackupInput): Promise<ResolvedGate> {
      try {
        const { settings, target } = await targetOf(deps, input);
        // Both lookups at once (independent reads): one round trip of the gate's decision latency instead of two.
        const [gate, freshness] = await Promise.all([gateSettings(deps, settings, target, input), gateFreshness(deps, target)]);
        return { ...gate, freshness };
      } catch (error) {
        throw asActivityError(error);
      }
    },

    /**
     * resolveGate and the first predictBackupFailure in one local activity: one local-activity round of the
     * decision instead of two (about 7-9 ms of its latency on the bench's dev server, BENCHMARKS.md), and the
     * freshness query runs beside the prediction's reads. Later predictions (after a delay) are predictBackupFailure.
     */
    async resolveGateAndPredict(input: GateOpeningInput): Promise<GateOpening> {
      let freshness: Promise<GateFreshness>;
      let gate: Omit<ResolvedGate, 'freshness'>;
      try {
        const { settings, target } = await targetOf(deps, input);
        freshness = gateFreshness(deps, target);
        freshness.catch(() => undefined); // awaited below; only a settings error thrown first leaves it unobserved
        gate = await gateSettings(deps, settings, target, input);
      } catch (error) {
        throw asActivityError(error);
      }
      // The threshold the gate just resolved from the target's setting comes with its source; a caller's threshold
      // is told apart from a configured one of the same value by predictAndLog, as for predictBackupFailure.
      const known = input.threshold === undefined ? gate.thresholdSource : undefined;
      const prediction = await predictAndLog(deps, predictionRequestFor(gate, input.context, input.startAt), known);
      return { gate: { ...gate, freshness: await freshness }, prediction };
    },
  };
}

async function targetOf(deps: ActivityDeps, input: PreBackupInput): Promise<{ settings: SentinelSettings; target: TargetConfig }> {
  const settings = await deps.loadSettings();
  return { settings, target: findTarget(settings, input.target) };
}

/** The gate's settings, everything but the freshness: the target's, with the caller's overrides. */
async function gateSettings(
  deps: ActivityDeps,
  settings: SentinelSettings,
  target: TargetConfig,
  input: PreBackupInput,
): Promise<Omit<ResolvedGate, 'freshness'>> {
  // `threshold: auto` is resolved here, in an activity, so the workflow code (and its replay) is unchanged.
  const resolved = input.threshold === undefined ? await resolveThreshold(deps.db, settings, target) : null;
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
  };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
