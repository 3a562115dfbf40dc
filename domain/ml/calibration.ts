/**
 * Platt scaling: p = 1 / (1 + exp(-(a * score + b))), fitted by Newton's method on the regularised targets of
 * Platt (1999) / Lin, Lin & Weng (2007): failures count as (N+ + 1) / (N+ + 2), successes as 1 / (N- + 2), so a
 * perfectly separated set still gives finite a and b.
 *
 * Fit it on out-of-bag or held-out scores only. Training-set predictions of a forest are near 0/1 by
 * construction, and a calibration fitted on them is wildly over-confident.
 *
 * When it cannot be fitted (no rows, a single class, a non-converging fit) the result is the identity and says why.
 *
 * Isotonic regression (pool-adjacent-violators, centered) is the other choice: a monotone map with no shape assumed,
 * which needs more failures to be stable. `fitCalibration` picks it at MIN_ISOTONIC_FAILURES failures or more, else
 * Platt (Niculescu-Mizil & Caruana 2005: isotonic overfits small calibration sets; scikit-learn's
 * CalibratedClassifierCV documents the same trade-off). Hand-written: PAV is 30 lines and no maintained npm
 * package offers it with this apply-time interpolation.
 */
import { z } from 'zod';

export const calibrationSchema = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('platt'),
      a: z.number(),
      b: z.number(),
      fittedOn: z.object({ rows: z.number().int().min(0), positives: z.number().int().min(0) }),
    })
    .strict(),
  z
    .object({
      method: z.literal('isotonic'),
      /** Ascending scores and the calibrated probability at each; linear in between, clamped outside. */
      x: z.array(z.number()).min(1),
      y: z.array(z.number().min(0).max(1)).min(1),
      fittedOn: z.object({ rows: z.number().int().min(0), positives: z.number().int().min(0) }),
    })
    .strict()
    .refine((c) => c.x.length === c.y.length, 'isotonic x and y differ in length'),
  z.object({ method: z.literal('identity'), reason: z.string() }).strict(),
]);

/** Failures from which calibration is isotonic instead of Platt (fitCalibration). */
export const MIN_ISOTONIC_FAILURES = 50;

export type Calibration = z.infer<typeof calibrationSchema>;

export const IDENTITY_CALIBRATION: Calibration = { method: 'identity', reason: 'not fitted' };

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function applyCalibration(calibration: Calibration, score: number): number {
  if (calibration.method === 'identity') return score < 0 ? 0 : Math.min(score, 1);
  if (calibration.method === 'isotonic') return interpolate(calibration.x, calibration.y, score);
  return sigmoid(calibration.a * score + calibration.b);
}

function interpolate(x: readonly number[], y: readonly number[], v: number): number {
  const last = x.length - 1;
  if (!(v > (x[0] as number))) return y[0] as number;
  if (v >= (x[last] as number)) return y[last] as number;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((x[mid] as number) <= v) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo] as number;
  const x1 = x[hi] as number;
  const y0 = y[lo] as number;
  return x1 > x0 ? y0 + ((v - x0) / (x1 - x0)) * ((y[hi] as number) - y0) : y0;
}

/** The failures among `labels`, after checking there is one finite score per label. */
function countFailures(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (labels.length !== scores.length) throw new RangeError(`${scores.length} scores for ${labels.length} labels`);
  let failures = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new RangeError(`score ${i} is ${scores[i]}`);
    failures += labels[i] === 1 ? 1 : 0;
  }
  return failures;
}

/**
 * Centered isotonic regression (Oron & Flournoy 2017) of labels on scores: pool-adjacent-violators gives blocks of
 * sorted scores with increasing failure rates; each block becomes one point at its mean score, and calibration
 * interpolates linearly between those points. Plain isotonic regression is a step function: every score in a block
 * maps to one probability, and those ties cost ranking quality (PR-AUC fell by a quarter on the drift scenario of
 * the evaluation suite); the centered form keeps the order of scores between the outermost points. Each block's
 * value is shrunk a little towards the overall rate ((failures + rate) / (rows + 1)) so a block of successes does
 * not promise a probability of 0; a running maximum keeps the shrunk values monotone.
 */
export function fitIsotonicCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  const n = scores.length;
  const positives = countFailures(scores, labels);
  if (positives === 0 || positives === n) return { method: 'identity', reason: `cannot fit on ${positives} failures and ${n - positives} successes` };
  const rate = positives / n;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  // Blocks: sum of labels, count, sum of scores, highest score. Equal scores start in one block.
  const sum: number[] = [];
  const count: number[] = [];
  const scoreSum: number[] = [];
  const hi: number[] = [];
  for (const i of order) {
    const s = scores[i] as number;
    const label = labels[i] === 1 ? 1 : 0;
    const top = sum.length - 1;
    if (top >= 0 && hi[top] === s) {
      sum[top] = (sum[top] as number) + label;
      count[top] = (count[top] as number) + 1;
      scoreSum[top] = (scoreSum[top] as number) + s;
    } else {
      sum.push(label);
      count.push(1);
      scoreSum.push(s);
      hi.push(s);
    }
    // Merge while the newest block's mean is not above the one before it.
    while (sum.length > 1) {
      const b = sum.length - 1;
      if ((sum[b - 1] as number) / (count[b - 1] as number) < (sum[b] as number) / (count[b] as number)) break;
      sum[b - 1] = (sum[b - 1] as number) + (sum.pop() as number);
      count[b - 1] = (count[b - 1] as number) + (count.pop() as number);
      scoreSum[b - 1] = (scoreSum[b - 1] as number) + (scoreSum.pop() as number);
      hi[b - 1] = hi.pop() as number;
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  let floor = 0;
  for (let b = 0; b < sum.length; b++) {
    floor = Math.max(floor, ((sum[b] as number) + rate) / ((count[b] as number) + 1));
    x.push((scoreSum[b] as number) / (count[b] as number));
    y.push(floor);
  }
  // Probability scores (all in [0, 1], as every classifier here gives): anchor the ends at (0, 0) and (1, 1), so
  // scores outside the fitted range (a newer regime scores higher than any out-of-fold row) keep their order
  // instead of tying at the last point.
  if ((scores[order[0] as number] as number) >= 0 && (scores[order[n - 1] as number] as number) <= 1) {
    if ((x[0] as number) > 0) {
      x.unshift(0);
      y.unshift(0);
    }
    if ((x[x.length - 1] as number) < 1) {
      x.push(1);
      y.push(Math.max(1, y[y.length - 1] as number));
    }
  }
  return { method: 'isotonic', x, y, fittedOn: { rows: n, positives } };
}

/** Isotonic with at least `minIsotonicFailures` failures (default MIN_ISOTONIC_FAILURES), else Platt. */
export function fitCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>, minIsotonicFailures = MIN_ISOTONIC_FAILURES): Calibration {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  return positives >= minIsotonicFailures ? fitIsotonicCalibration(scores, labels) : fitPlattCalibration(scores, labels);
}

export function applyCalibrationBatch(calibration: Calibration, scores: ArrayLike<number>): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = applyCalibration(calibration, scores[i] as number);
  return out;
}

export function fitPlattCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>, maxIterations = 100): Calibration {
  const n = scores.length;
  const positives = countFailures(scores, labels);
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    return { method: 'identity', reason: `cannot fit on ${positives} failures and ${negatives} successes` };
  }

  const hiTarget = (positives + 1) / (positives + 2);
  const loTarget = 1 / (negatives + 2);
  const targets = new Float64Array(n);
  for (let i = 0; i < n; i++) targets[i] = labels[i] === 1 ? hiTarget : loTarget;

  const loss = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (scores[i] as number) + b;
      const t = targets[i] as number;
      sum += t * softplus(-z) + (1 - t) * softplus(z);
    }
    return sum;
  };

  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  let current = loss(a, b);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const s = scores[i] as number;
      const p = sigmoid(a * s + b);
      const d = p - (targets[i] as number);
      const w = p * (1 - p);
      ga += d * s;
      gb += d;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-7 * n && Math.abs(gb) < 1e-7 * n) break;
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const stepA = -(hbb * ga - hab * gb) / det;
    const stepB = -(haa * gb - hab * ga) / det;
    // Backtracking keeps every step a descent step even far from the optimum.
    let scale = 1;
    let improved = false;
    while (scale > 1e-10) {
      const next = loss(a + scale * stepA, b + scale * stepB);
      if (next < current - 1e-12 * Math.abs(current)) {
        a += scale * stepA;
        b += scale * stepB;
        current = next;
        improved = true;
        break;
      }
      scale /= 2;
    }
    if (!improved) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return { method: 'identity', reason: 'Platt fit did not converge' };
  if (a < 0) {
    // Scores that run against the outcomes (noise, e.g. a target whose failures are unpredictable) would be ranked in
    // reverse: the fit is constrained to a >= 0, and at a = 0 its best intercept maps every score to the observed
    // (smoothed) rate, the constant whose log-loss is lowest.
    const rate = (positives * hiTarget + negatives * loTarget) / n;
    return { method: 'platt', a: 0, b: Math.log(rate / (1 - rate)), fittedOn: { rows: n, positives } };
  }
  return { method: 'platt', a, b, fittedOn: { rows: n, positives } };
}
