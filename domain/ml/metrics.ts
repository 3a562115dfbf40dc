/**
 * Binary classification metrics for imbalanced failure data. Undefined metrics (e.g. ROC-AUC with one class)
 * are null, never NaN. Scores must be finite; labels are 1 for failed and 0 for completed.
 */

export interface ConfusionMatrix {
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

export interface BinaryMetrics {
  count: number;
  positives: number;
  /** Share of failures; null for no rows. */
  baseRate: number | null;
  /** Average precision (area under the precision-recall curve, step-wise, no interpolation). */
  prAuc: number | null;
  rocAuc: number | null;
  brier: number | null;
  /** Brier score of always predicting the base rate, the reference a useful model must beat. */
  brierBaseline: number | null;
  threshold: number;
  precision: number | null;
  recall: number | null;
  confusion: ConfusionMatrix;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores for ${labels.length} labels`);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new RangeError(`score ${i} is ${scores[i]}`);
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${y}; expected 0 or 1`);
  }
}

function countPositives(labels: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] as number;
  return positives;
}

function indicesByScoreDescending(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/**
 * Walks the distinct scores from high to low: for each, the true and false positives of predicting "fails" at
 * score >= threshold, and how many true positives this threshold added. Tied rows form one threshold, so their
 * order cannot change a metric.
 */
function forEachThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  visit: (threshold: number, tp: number, fp: number, newTp: number) => void,
): void {
  const order = indicesByScoreDescending(scores);
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < order.length) {
    const threshold = scores[order[k] as number] as number;
    const tpBefore = tp;
    while (k < order.length && scores[order[k] as number] === threshold) {
      if (labels[order[k] as number] === 1) tp++;
      else fp++;
      k++;
    }
    visit(threshold, tp, fp, tp - tpBefore);
  }
}

export function baseRate(labels: ArrayLike<number>): number | null {
  return labels.length === 0 ? null : countPositives(labels) / labels.length;
}

/**
 * Average precision: sum over distinct score thresholds (high to low) of (recall gain) * precision. Tied scores
 * form one threshold, so the order of tied rows cannot change the result. Null without positives.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  checkInputs(scores, labels);
  const positives = countPositives(labels);
  if (positives === 0) return null;
  let ap = 0;
  forEachThreshold(scores, labels, (_threshold, tp, fp, newTp) => {
    if (newTp > 0) ap += (newTp / positives) * (tp / (tp + fp));
  });
  return ap;
}

/**
 * The average precision a random ranking scores on average: `positives` failures among `rows` runs, every order
 * equally likely. It sits above the base rate for few positives (93 of 1,728: 0.0577 against 0.0538), while a
 * constant score gets exactly the base rate: the level a model with nothing to rank on should be read against.
 * Exact: E[AP] = (H_n + (P - 1) / (n - 1) * (n - H_n)) / n, with H_n the n-th harmonic number (summing, over ranks
 * i, P(rank i is a failure) * E[precision at i | it is]). Null without positives.
 */
export function chanceAveragePrecision(positives: number, rows: number): number | null {
  if (!Number.isInteger(positives) || !Number.isInteger(rows) || positives < 0 || positives > rows) {
    throw new RangeError(`chanceAveragePrecision: need integers 0 <= positives <= rows, got ${positives} of ${rows}`);
  }
  if (positives === 0) return null;
  if (rows === 1) return 1;
  let harmonic = 0;
  for (let i = 1; i <= rows; i++) harmonic += 1 / i;
  return (harmonic + ((positives - 1) / (rows - 1)) * (rows - harmonic)) / rows;
}

/** ROC-AUC as the Mann-Whitney statistic with mid-ranks for ties (a tie counts one half). Null with one class. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  checkInputs(scores, labels);
  const n = scores.length;
  const positives = countPositives(labels);
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positiveRankSum = 0;
  let k = 0;
  while (k < n) {
    let end = k;
    while (end + 1 < n && scores[order[end + 1] as number] === scores[order[k] as number]) end++;
    const midRank = (k + end) / 2 + 1;
    for (let m = k; m <= end; m++) if (labels[order[m] as number] === 1) positiveRankSum += midRank;
    k = end + 1;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean squared error of probabilities against outcomes; null for no rows. */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  checkInputs(probabilities, labels);
  if (labels.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = (probabilities[i] as number) - (labels[i] as number);
    sum += d * d;
  }
  return sum / labels.length;
}

/** Brier score of the constant base-rate forecast: rate * (1 - rate). */
export function baselineBrier(labels: ArrayLike<number>): number | null {
  const rate = baseRate(labels);
  return rate === null ? null : rate * (1 - rate);
}

/** A row is predicted to fail when its score is >= threshold. */
export function confusionMatrix(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ConfusionMatrix {
  checkInputs(scores, labels);
  const m: ConfusionMatrix = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    if (labels[i] === 1) {
      if (predicted) m.truePositives++;
      else m.falseNegatives++;
    } else if (predicted) m.falsePositives++;
    else m.trueNegatives++;
  }
  return m;
}

/** Precision is null when nothing is predicted to fail; recall is null when nothing failed. */
export function precisionRecallAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { precision: number | null; recall: number | null; confusion: ConfusionMatrix } {
  const confusion = confusionMatrix(scores, labels, threshold);
  const predicted = confusion.truePositives + confusion.falsePositives;
  const actual = confusion.truePositives + confusion.falseNegatives;
  return {
    precision: predicted === 0 ? null : confusion.truePositives / predicted,
    recall: actual === 0 ? null : confusion.truePositives / actual,
    confusion,
  };
}

/**
 * Highest recall over thresholds whose precision is >= minPrecision, with the largest such threshold.
 * Recall 0 (threshold null) when no threshold reaches the precision; null when there are no failures.
 */
export function recallAtPrecision(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  minPrecision: number,
): { recall: number; threshold: number | null } | null {
  checkInputs(scores, labels);
  const positives = countPositives(labels);
  if (positives === 0) return null;
  let best: { recall: number; threshold: number | null } = { recall: 0, threshold: null };
  forEachThreshold(scores, labels, (threshold, tp, fp) => {
    if (tp / (tp + fp) >= minPrecision && tp / positives > best.recall) best = { recall: tp / positives, threshold };
  });
  return best;
}

/** Every metric above for one set of predictions. */
export function evaluateBinary(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): BinaryMetrics {
  const at = precisionRecallAt(scores, labels, threshold);
  return {
    count: labels.length,
    positives: countPositives(labels),
    baseRate: baseRate(labels),
    prAuc: averagePrecision(scores, labels),
    rocAuc: rocAuc(scores, labels),
    brier: brierScore(scores, labels),
    brierBaseline: baselineBrier(labels),
    threshold,
    precision: at.precision,
    recall: at.recall,
    confusion: at.confusion,
  };
}
