/**
 * Threshold advice (issue 16, item 7): what a threshold costs in alerts and buys in caught failures, measured on the
 * held-out validation window of a training round, and the threshold that keeps a target within its alert budget
 * (share of runs flagged) or reaches a wanted precision.
 *
 * The gate flags a run when probability > threshold (domain/risk/levels.ts), so every figure here uses ">".
 * A curve lists, for a set of thresholds, the share of runs flagged, precision and recall. Its thresholds are a fixed
 * grid (the "range of thresholds" operators read) plus, for each share in SHARE_GRID, the lowest score threshold that
 * flags at most that share: so a recommendation for a budget on the share grid is exact on the window, and any other
 * budget gets the nearest stored point below it (never above). Curves are stored with the model's evaluation
 * (ml_models.metrics), so `sentinel model thresholds` and `threshold: auto` can follow a budget changed after
 * training without retraining. Pure.
 */

export interface ThresholdPoint {
  threshold: number;
  /** Runs with probability > threshold / all runs. */
  flaggedShare: number;
  flagged: number;
  /** null when nothing is flagged. */
  precision: number | null;
  /** null when the window has no failure. */
  recall: number | null;
}

export interface ThresholdCurve {
  rows: number;
  failures: number;
  points: ThresholdPoint[];
}

export interface ThresholdAdvice {
  /** Where the curves were measured. */
  window: { from: string; to: string };
  overall: ThresholdCurve;
  /** Per target with at least MIN_TARGET_ROWS validation rows; other targets follow `overall`. */
  targets: Record<string, ThresholdCurve>;
  /** The recommendations for the goals sentinel.yaml declared at training time (recomputed from the curves when they change). */
  recommendations: Record<string, ThresholdRecommendation>;
}

export interface ThresholdGoal {
  /** Largest share of runs that may be flagged (0.05 = 5%). */
  alertBudget?: number | undefined;
  /** Lowest precision wanted (0.5: at least half of the flagged runs fail). */
  wantedPrecision?: number | undefined;
}

export interface ThresholdRecommendation {
  threshold: number;
  goal: { alertBudget?: number; wantedPrecision?: number };
  /** The curve the threshold comes from: the target's own, or the whole window's when the target has too few rows. */
  basis: 'target' | 'overall';
  /** What the threshold gave on the validation window. */
  expected: { flaggedShare: number; precision: number | null; recall: number | null };
  reason: string;
}

/** The budget used when sentinel.yaml declares none: 5% of runs. */
export const DEFAULT_ALERT_BUDGET = 0.05;
/** A target's own curve needs this many validation rows (a 5% budget is then at least 5 runs). */
export const MIN_TARGET_ROWS = 100;
/** Fixed thresholds reported for every curve. */
export const THRESHOLD_GRID: readonly number[] = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Shares of runs flagged for which the exact threshold is stored. */
export const SHARE_GRID: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3];

const round = (v: number, d = 6) => Math.round(v * 10 ** d) / 10 ** d;

/** The curve of one set of validation scores (probabilities) and labels (1 = failed). */
export function thresholdCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdCurve {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`${n} scores for ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let failures = 0;
  for (let i = 0; i < n; i++) failures += labels[i] === 1 ? 1 : 0;
  const thresholds = new Set<number>(THRESHOLD_GRID);
  for (const share of SHARE_GRID) {
    // The k-th highest score as threshold flags the runs strictly above it: at most k - 1 <= share * n runs.
    const k = Math.floor(share * n);
    if (k < 1 || k >= n) continue;
    // Rounded up to the stored precision, so the stored threshold never flags more runs than the share.
    thresholds.add(Math.ceil((scores[order[k] as number] as number) * 1e6) / 1e6);
  }
  const sorted = [...thresholds].filter((t) => t >= 0 && t < 1).sort((a, b) => b - a);
  const points: ThresholdPoint[] = [];
  let at = 0;
  let caught = 0;
  for (const threshold of sorted) {
    while (at < n && (scores[order[at] as number] as number) > threshold) {
      caught += labels[order[at] as number] === 1 ? 1 : 0;
      at++;
    }
    points.push({
      threshold,
      flaggedShare: n === 0 ? 0 : round(at / n),
      flagged: at,
      precision: at === 0 ? null : round(caught / at),
      recall: failures === 0 ? null : round(caught / failures),
    });
  }
  points.reverse(); // ascending thresholds
  return { rows: n, failures, points };
}

/**
 * The threshold for a goal on a curve. Budget: the lowest threshold whose flagged share is within the budget (the
 * most failures caught for the alerts allowed). Precision: the lowest threshold whose precision reaches it (most
 * recall at that precision); if none does, the one with the best precision, said so in the reason. Both: the
 * higher of the two thresholds (both constraints hold as far as the curve can tell).
 */
export function recommendThreshold(curve: ThresholdCurve, goal: ThresholdGoal, basis: 'target' | 'overall'): ThresholdRecommendation {
  const budget = goal.alertBudget ?? (goal.wantedPrecision === undefined ? DEFAULT_ALERT_BUDGET : undefined);
  const reasons: string[] = [];
  let threshold = 0;
  const pts = curve.points;
  if (pts.length === 0) throw new RangeError('the curve has no points');
  if (budget !== undefined) {
    const within = pts.find((p) => p.flaggedShare <= budget);
    const chosen = within ?? (pts.at(-1) as ThresholdPoint);
    threshold = Math.max(threshold, chosen.threshold);
    reasons.push(
      within
        ? `flags ${(chosen.flaggedShare * 100).toFixed(1)}% of runs, within the budget of ${(budget * 100).toFixed(1)}%`
        : `no threshold flags at most ${(budget * 100).toFixed(1)}% of runs; the highest flags ${(chosen.flaggedShare * 100).toFixed(1)}%`,
    );
  }
  if (goal.wantedPrecision !== undefined) {
    const wanted = goal.wantedPrecision;
    const reaching = pts.find((p) => p.precision !== null && p.precision >= wanted && p.flagged >= 3);
    const best = pts.reduce<ThresholdPoint | null>(
      (b, p) => (p.precision !== null && p.flagged >= 3 && (b === null || (p.precision as number) > (b.precision as number)) ? p : b),
      null,
    );
    const chosen = reaching ?? best ?? (pts.at(-1) as ThresholdPoint);
    threshold = Math.max(threshold, chosen.threshold);
    reasons.push(
      reaching
        ? `precision ${(chosen.precision as number).toFixed(2)} >= the wanted ${wanted}`
        : `no threshold reaches precision ${wanted}; the best is ${chosen.precision === null ? 'undefined' : chosen.precision.toFixed(2)}`,
    );
  }
  const at = pts.find((p) => p.threshold >= threshold) ?? (pts.at(-1) as ThresholdPoint);
  return {
    threshold: at.threshold,
    goal: {
      ...(budget !== undefined ? { alertBudget: budget } : {}),
      ...(goal.wantedPrecision !== undefined ? { wantedPrecision: goal.wantedPrecision } : {}),
    },
    basis,
    expected: { flaggedShare: at.flaggedShare, precision: at.precision, recall: at.recall },
    reason: `${reasons.join('; ')} on the validation window (${basis === 'target' ? "the target's own runs" : 'all targets: too few runs of this target'})`,
  };
}

/** The curves of a validation window: overall and per target with enough rows. */
export function buildThresholdCurves(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  targets: readonly string[],
): { overall: ThresholdCurve; targets: Record<string, ThresholdCurve> } {
  const byTarget = new Map<string, number[]>();
  targets.forEach((t, i) => {
    const list = byTarget.get(t);
    if (list) list.push(i);
    else byTarget.set(t, [i]);
  });
  const perTarget: Record<string, ThresholdCurve> = {};
  for (const [name, rows] of [...byTarget].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (rows.length < MIN_TARGET_ROWS) continue;
    perTarget[name] = thresholdCurve(
      rows.map((i) => scores[i] as number),
      rows.map((i) => labels[i] as number),
    );
  }
  return { overall: thresholdCurve(scores, labels), targets: perTarget };
}

/** The recommendation for one target from stored curves (its own when it has one, else the overall curve). */
export function recommendForTarget(advice: Pick<ThresholdAdvice, 'overall' | 'targets'>, target: string | null, goal: ThresholdGoal): ThresholdRecommendation {
  const own = target === null ? undefined : advice.targets[target];
  return own ? recommendThreshold(own, goal, 'target') : recommendThreshold(advice.overall, goal, 'overall');
}
