/**
 * Platt scaling: p = 1 / (1 + exp(-(a * score + b))), fitted by Newton's method on the regularised targets of
 * Platt (1999) / Lin, Lin & Weng (2007): failures count as (N+ + 1) / (N+ + 2), successes as 1 / (N- + 2), so a
 * perfectly separated set still gives finite a and b.
 *
 * Fit it on out-of-bag or held-out scores only. Training-set predictions of a forest are near 0/1 by
 * construction, and a calibration fitted on them is wildly over-confident.
 *
 * When it cannot be fitted (no rows, a single class, a non-converging fit) the result is the identity and says why.
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
  z.object({ method: z.literal('identity'), reason: z.string() }).strict(),
]);

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
  return sigmoid(calibration.a * score + calibration.b);
}

export function applyCalibrationBatch(calibration: Calibration, scores: ArrayLike<number>): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = applyCalibration(calibration, scores[i] as number);
  return out;
}

export function fitPlattCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>, maxIterations = 100): Calibration {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`${n} scores for ${labels.length} labels`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new RangeError(`score ${i} is ${scores[i]}`);
    positives += labels[i] === 1 ? 1 : 0;
  }
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
  return { method: 'platt', a, b, fittedOn: { rows: n, positives } };
}
