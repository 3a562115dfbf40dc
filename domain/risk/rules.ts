import type { HistoricalContext } from '../history/types.js';
import { riskLevel } from './levels.js';
import type { Prediction, PredictionRequest, RiskFactor } from './prediction.js';

/**
 * The rule-based failure predictor, used until a trained model is active.
 *
 * It is a small additive log-odds model whose terms an operator can read:
 *   start from the target's smoothed historical failure rate (prior 5%, weight of 10 pseudo-runs),
 *   then add a fixed log-odds amount per risk factor (recent failures, oversized/overlong runs compared with
 *   the target's typical run, very large databases, too little free space, long time since the last success,
 *   the nightly maintenance window).
 * The seed example (300 s, 500 MiB, 50 GB database, success rate 0.92, 1 recent failure) gives about 0.14: low.
 */
export const RULES = {
  priorFailureRate: 0.05,
  priorWeight: 10,
  perRecentFailure: 0.6,
  maxRecentFailures: 4,
  overrunRatio: 1.5,
  perLogOverrun: 0.8,
  largeDatabaseGb: 100,
  perDoublingOverLarge: 0.35,
  longRunSeconds: 2 * 3600,
  longRun: 0.5,
  freeSpaceTight: 1.0,
  freeSpaceExhausted: 3.5,
  staleHours: 48,
  stale: 0.7,
  maintenanceHoursUtc: [2, 3] as readonly number[],
  maintenanceWindow: 0.3,
} as const;

const GB = 1024 ** 3;

export function normaliseContext(partial: Partial<HistoricalContext> | undefined): HistoricalContext {
  return {
    successRate: partial?.successRate ?? null,
    recentFailures: partial?.recentFailures ?? 0,
    typicalDurationSeconds: partial?.typicalDurationSeconds ?? null,
    typicalSizeBytes: partial?.typicalSizeBytes ?? null,
    runCount: partial?.runCount ?? (partial?.successRate != null ? 20 : 0),
    hoursSinceLastSuccess: partial?.hoursSinceLastSuccess ?? null,
  };
}

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function predictWithRules(request: PredictionRequest, context: HistoricalContext, predictedAt: string): Prediction {
  const factors: RiskFactor[] = [];
  const add = (factor: string, value: RiskFactor['value'], contribution: number, description: string) => {
    if (contribution !== 0) factors.push({ factor, value, contribution: round(contribution), description });
  };

  const runs = context.runCount;
  const observedFailureRate = context.successRate === null ? RULES.priorFailureRate : 1 - context.successRate;
  const smoothed = (observedFailureRate * runs + RULES.priorFailureRate * RULES.priorWeight) / (runs + RULES.priorWeight);
  const base = logit(clamp(smoothed, 0.005, 0.995));
  add(
    'historical_failure_rate',
    context.successRate === null ? null : round(1 - context.successRate),
    base - logit(RULES.priorFailureRate),
    context.successRate === null
      ? 'no history for this target: prior failure rate assumed'
      : `failure rate ${(observedFailureRate * 100).toFixed(1)}% over ${runs} recent runs`,
  );

  const recent = Math.min(context.recentFailures, RULES.maxRecentFailures);
  add('recent_failures', context.recentFailures, recent * RULES.perRecentFailure, `${context.recentFailures} failure(s) among the last runs`);

  const duration = request.estimatedDurationSeconds;
  if (duration !== undefined && context.typicalDurationSeconds && context.typicalDurationSeconds > 0) {
    const ratio = duration / context.typicalDurationSeconds;
    if (ratio > RULES.overrunRatio)
      add('duration_vs_typical', round(ratio), Math.log(ratio) * RULES.perLogOverrun, `expected to take ${ratio.toFixed(1)}x the typical duration`);
  }
  if (duration !== undefined && duration > RULES.longRunSeconds)
    add('long_duration', duration, RULES.longRun, `long backup window (${Math.round(duration / 60)} min)`);

  const size = request.estimatedSizeBytes;
  if (size !== undefined && context.typicalSizeBytes && context.typicalSizeBytes > 0) {
    const ratio = size / context.typicalSizeBytes;
    if (ratio > RULES.overrunRatio)
      add('size_vs_typical', round(ratio), Math.log(ratio) * RULES.perLogOverrun, `expected to be ${ratio.toFixed(1)}x the typical size`);
  }

  const dbGb = request.databaseSizeGb;
  if (dbGb !== undefined && dbGb > RULES.largeDatabaseGb)
    add(
      'database_size',
      dbGb,
      Math.log2(dbGb / RULES.largeDatabaseGb) * RULES.perDoublingOverLarge + RULES.perDoublingOverLarge,
      `large database (${dbGb} GB)`,
    );

  if (request.freeSpaceGb !== undefined && size !== undefined && size > 0) {
    const headroom = (request.freeSpaceGb * GB) / size;
    if (headroom < 1)
      add('free_space', request.freeSpaceGb, RULES.freeSpaceExhausted, `free space ${request.freeSpaceGb} GB is less than the expected backup size`);
    else if (headroom < 2) add('free_space', request.freeSpaceGb, RULES.freeSpaceTight, `free space is under twice the expected backup size`);
  }

  if (context.hoursSinceLastSuccess !== null && context.hoursSinceLastSuccess > RULES.staleHours)
    add('time_since_success', round(context.hoursSinceLastSuccess), RULES.stale, `no successful backup for ${Math.round(context.hoursSinceLastSuccess)} h`);

  const hour = new Date(request.startAt).getUTCHours();
  if (RULES.maintenanceHoursUtc.includes(hour))
    add('maintenance_window', hour, RULES.maintenanceWindow, `starts at ${hour}:00 UTC, inside the usual maintenance window`);

  const score = logit(RULES.priorFailureRate) + factors.reduce((sum, f) => sum + f.contribution, 0);
  const probability = round(clamp(sigmoid(score), 0, 1), 4);
  factors.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));

  return {
    target: request.target,
    failureProbability: probability,
    riskLevel: riskLevel(probability, request.threshold),
    threshold: request.threshold,
    riskFactors: factors,
    recommendedActions: recommendActions(factors, probability, request.threshold),
    // Rules know little about a target with no history; confidence grows with the runs behind the context.
    confidence: round(0.4 + 0.5 * Math.min(1, runs / 30), 2),
    model: { kind: 'rules' },
    context,
    predictedAt,
  };
}

const ACTIONS: Record<string, string> = {
  historical_failure_rate: "Review the causes of this target's past failures before relying on tonight's backup.",
  recent_failures: 'Investigate the most recent failed run (logs, error message) before retrying.',
  duration_vs_typical: 'Check for long-running transactions or locks that would slow the dump.',
  long_duration: 'Schedule the backup in a quieter window or split it.',
  size_vs_typical: 'Confirm the data growth is expected and the destination has room.',
  database_size: 'Consider incremental or parallel dumps for this database size.',
  free_space: 'Free space on the backup destination or move the backup elsewhere.',
  time_since_success: 'No recent good backup exists: treat this run as urgent and watch it.',
  maintenance_window: 'Avoid the maintenance window, or confirm no maintenance is planned.',
  last_restore_drill:
    'The last restore drill failed: fix what it found, then run `sentinel drill run <target>`; until a drill passes this target stays high risk.',
};

/** What the risk pipeline knows about a target's last finished restore drill. */
export interface DrillSignal {
  status: 'passed' | 'failed';
  finishedAt: string | null;
  error: string | null;
}

/**
 * A target whose last restore drill failed is high risk, whatever the rules or the model say: its backups are not
 * known to restore. Applied to every prediction (rules and model alike) as the factor `last_restore_drill`:
 * the probability is raised to at least halfway between the threshold and 1 (so above the threshold) and the
 * factor's contribution is the log-odds added. A passing last drill changes nothing.
 */
export function applyDrillSignal(prediction: Prediction, drill: DrillSignal | undefined): Prediction {
  if (drill?.status !== 'failed') return prediction;
  const floor = Math.min(0.99, prediction.threshold + (1 - prediction.threshold) / 2);
  const probability = round(Math.max(prediction.failureProbability, floor), 4);
  const contribution = round(logit(clamp(probability, 0.0001, 0.9999)) - logit(clamp(prediction.failureProbability, 0.0001, 0.9999)));
  const when = drill.finishedAt ? ` (${drill.finishedAt})` : '';
  const factor: RiskFactor = {
    factor: 'last_restore_drill',
    value: 'failed',
    contribution,
    description: `last restore drill failed${when}${drill.error ? `: ${drill.error.slice(0, 200)}` : ''}`,
  };
  const riskFactors = [factor, ...prediction.riskFactors].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return {
    ...prediction,
    failureProbability: probability,
    riskLevel: riskLevel(probability, prediction.threshold),
    riskFactors,
    recommendedActions: recommendActions(riskFactors, probability, prediction.threshold),
  };
}

export function recommendActions(factors: RiskFactor[], probability: number, threshold: number): string[] {
  const actions = factors
    .filter((f) => f.contribution > 0)
    .map((f) => ACTIONS[f.factor])
    .filter((a): a is string => a !== undefined);
  if (probability > threshold) actions.unshift('High failure risk: confirm the prerequisites before this backup runs.');
  if (actions.length === 0) actions.push('No action needed: proceed with the backup.');
  return [...new Set(actions)];
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
