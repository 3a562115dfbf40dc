/**
 * The live quality check of the active failure model, shared by `modelMonitorWorkflow`'s activity and `sentinel
 * model monitor`: loads the window of live outcomes, scores the same runs in shadow with the rules and with the model
 * the active one replaced (from the snapshot taken when it became active), and judges (domain/models/live-quality.ts).
 * Read-only: storing the check is the activity's business.
 */
import type pg from 'pg';
import { activeModelRef, getModel, getSnapshotArtifact } from '../../db/repositories/models.js';
import { activationOf, historyBetween, liveOutcomes, wasRolledBackAutomatically } from '../../db/repositories/model-monitor.js';
import { buildFeatureTable } from '../../domain/ml/features.js';
import { selectRows } from '../../domain/ml/matrix.js';
import { DEFAULT_MODEL_MONITOR_POLICY, judgeLiveQuality, planResponse, type ModelMonitorPolicy } from '../../domain/models/live-quality.js';
import { AUTOMATIC_ROLLBACK_EVENT, type LiveQualityReport } from '../../domain/models/monitor-contract.js';
import { scoreRunsWithCalibratedRules } from '../../domain/models/rules-scores.js';
import type { SentinelSettings } from '../../domain/settings/schema.js';
import { RULES_CALIBRATION_LOOKBACK_DAYS } from '../../domain/risk/rules-calibration.js';
import type { WindowMetrics } from '../../domain/models/contract.js';
import { loadArtifactBytes } from './model-loader.js';

const DAY_MS = 86_400_000;
/** History before the window the shadow scorers see: the rules' calibration look-back (the features need 31 days). */
const SHADOW_LOOKBACK_DAYS = RULES_CALIBRATION_LOOKBACK_DAYS;

/** The monitor's policy from sentinel.yaml (absent section: the defaults) and whether it is on. */
export function monitorPolicyOf(settings: SentinelSettings): { enabled: boolean; policy: ModelMonitorPolicy } {
  const { enabled = true, ...section } = settings.modelMonitor ?? {};
  return { enabled, policy: { ...DEFAULT_MODEL_MONITOR_POLICY, ...section } };
}

export async function assessLiveQuality(db: pg.Pool, settings: SentinelSettings, now = new Date()): Promise<LiveQualityReport> {
  const { enabled, policy } = monitorPolicyOf(settings);
  const empty = {
    checkedAt: now.toISOString(),
    modelVersion: null,
    replacedVersion: null,
    shadowProblems: [],
    degradationKey: null,
    window: { days: policy.windowDays, maxOutcomes: policy.maxOutcomes, from: null, to: null, activeSince: null },
    policy,
    judgement: null,
    response: { action: 'none' as const },
  };
  const ref = await activeModelRef(db);
  if (!ref) return { ...empty, verdict: 'no-model', reason: 'no model is active: the rules predict, nothing to monitor' };
  if (!enabled) return { ...empty, modelVersion: ref.version, verdict: 'disabled', reason: 'modelMonitor.enabled is false in sentinel.yaml' };

  const model = await getModel(db, ref.version);
  const activation = await activationOf(db, ref.version);
  const since = new Date(Math.max(now.getTime() - policy.windowDays * DAY_MS, activation?.takenAt.getTime() ?? 0));
  // Newest first from the database; judged oldest first (order does not change the metrics).
  const outcomes = (await liveOutcomes(db, ref.version, since, policy.maxOutcomes)).reverse();
  const replacedVersion = activation?.replacedVersion ?? null;
  const shadowProblems: string[] = [];
  const scores = await shadowScores(db, outcomes, activation, shadowProblems);

  const candidate = (model?.metrics as { evaluation?: { candidate?: WindowMetrics } } | undefined)?.evaluation?.candidate;
  const validation = candidate ? { brier: candidate.brier, prAuc: candidate.prAuc } : null;
  const judgement = judgeLiveQuality({
    window: {
      labels: Uint8Array.from(outcomes, (o) => (o.failed ? 1 : 0)),
      active: Float64Array.from(outcomes, (o) => o.probability),
      thresholds: Float64Array.from(outcomes, (o) => o.threshold),
      rules: scores.rules,
      replaced: scores.replaced,
    },
    validation,
    policy,
  });
  const response = planResponse({
    judgement,
    onDegraded: policy.onDegraded,
    replacedVersion,
    replacedWasRolledBackAutomatically: replacedVersion !== null && (await wasRolledBackAutomatically(db, replacedVersion, AUTOMATIC_ROLLBACK_EVENT)),
  });
  return {
    checkedAt: now.toISOString(),
    verdict: judgement.verdict,
    reason: judgement.reason,
    modelVersion: ref.version,
    replacedVersion,
    shadowProblems,
    degradationKey: `${ref.version}.${activation?.snapshotId ?? 0}`,
    window: {
      days: policy.windowDays,
      maxOutcomes: policy.maxOutcomes,
      from: outcomes[0]?.startedAt.toISOString() ?? null,
      to: outcomes.at(-1)?.startedAt.toISOString() ?? null,
      activeSince: activation?.takenAt.toISOString() ?? null,
    },
    policy,
    judgement,
    response,
  };
}

/**
 * The window's runs scored as the rules and the replaced model would have scored them before each started, from the
 * stored history (the rules calibrated to the team as live prediction does). A problem (no history, a snapshot that
 * no longer loads, e.g. an older feature pipeline) leaves that comparison out and says why.
 */
async function shadowScores(
  db: pg.Pool,
  outcomes: ReadonlyArray<{ backupId: string; startedAt: Date }>,
  activation: Awaited<ReturnType<typeof activationOf>>,
  problems: string[],
): Promise<{ rules: Float64Array | null; replaced: Float64Array | null }> {
  if (outcomes.length === 0) return { rules: null, replaced: null };
  const first = (outcomes[0] as { startedAt: Date }).startedAt;
  const last = (outcomes.at(-1) as { startedAt: Date }).startedAt;
  const history = await historyBetween(db, new Date(first.getTime() - SHADOW_LOOKBACK_DAYS * DAY_MS), last);
  const position = new Map(history.map((run, i) => [run.backupId, i]));
  const indices: number[] = [];
  for (const o of outcomes) {
    const i = position.get(o.backupId);
    if (i === undefined) {
      problems.push(`run ${o.backupId} is missing from the history read for shadow scoring`);
      return { rules: null, replaced: null };
    }
    indices.push(i);
  }
  const only = Uint32Array.from(indices);
  let rules: Float64Array | null = null;
  try {
    rules = scoreRunsWithCalibratedRules(history, { only });
  } catch (error) {
    problems.push(`the rules could not score the window: ${(error as Error).message}`);
  }
  let replaced: Float64Array | null = null;
  if (activation?.replacedVersion != null) {
    const stored = await getSnapshotArtifact(db, activation.snapshotId);
    const loaded = loadArtifactBytes(activation.replacedVersion, stored?.artifact ?? null, stored?.snapshot.artifactSha256 ?? '');
    if (!loaded.ok) problems.push(`the replaced model cannot score the window: ${loaded.reason}`);
    else {
      try {
        const table = buildFeatureTable(history);
        replaced = Float64Array.from(loaded.model.predictBatch(selectRows(table.matrix, only)));
      } catch (error) {
        problems.push(`the replaced model could not score the window: ${(error as Error).message}`);
      }
    }
  }
  return { rules, replaced };
}
