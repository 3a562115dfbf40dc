import { MetricsInputError, requirePositiveFinite } from './errors.js';
import type { IntervalPrediction } from './ols.js';

/** Capacity searches stop here (10 years): beyond it a linear extrapolation says nothing useful. */
export const MAX_CAPACITY_HORIZON_DAYS = 3650;

export interface CapacityEstimate {
  capacity: number;
  /** The latest observation already reached capacity (both estimates are then 0). */
  alreadyFull: boolean;
  /** The model's slope per day is positive. */
  growing: boolean;
  /** Days after the last observation until the predicted value reaches capacity; null when not growing or beyond the horizon. */
  pointDays: number | null;
  /** Days until the 95% upper bound reaches capacity (plan with this one); null when not growing or beyond the horizon. */
  conservativeDays: number | null;
  maxHorizonDays: number;
}

/** A fitted model seen from the last observation: h = days after it. */
export interface HorizonModel {
  slopePerDay: number;
  lastObserved: number;
  predict(h: number): IntervalPrediction;
}

export function validateCapacity(capacity: number): number {
  return requirePositiveFinite(capacity, 'capacity', 'INVALID_CAPACITY');
}

/**
 * Point estimate from the (linear) prediction; conservative estimate from the first day the upper bound
 * reaches capacity (integer scan, then bisection inside that day), never later than the point estimate.
 */
export function estimateDaysUntilFull(model: HorizonModel, capacity: number, maxHorizonDays = MAX_CAPACITY_HORIZON_DAYS): CapacityEstimate {
  validateCapacity(capacity);
  if (!Number.isInteger(maxHorizonDays) || maxHorizonDays <= 0) {
    throw new MetricsInputError('INVALID_OPTION', `maxHorizonDays must be a positive integer, got ${maxHorizonDays}`);
  }
  const growing = model.slopePerDay > 0;
  const base = { capacity, growing, maxHorizonDays };
  if (model.lastObserved >= capacity) return { ...base, alreadyFull: true, pointDays: 0, conservativeDays: 0 };
  if (!growing) return { ...base, alreadyFull: false, pointDays: null, conservativeDays: null };

  const atZero = model.predict(0);
  const rawPoint = Math.max(0, (capacity - atZero.predicted) / model.slopePerDay);
  const pointDays = rawPoint <= maxHorizonDays ? rawPoint : null;

  let conservativeDays: number | null = null;
  if (atZero.upper >= capacity) conservativeDays = 0;
  else {
    for (let day = 1; day <= maxHorizonDays; day++) {
      if (model.predict(day).upper < capacity) continue;
      let lo = day - 1;
      let hi = day;
      for (let k = 0; k < 40; k++) {
        const mid = (lo + hi) / 2;
        if (model.predict(mid).upper >= capacity) hi = mid;
        else lo = mid;
      }
      conservativeDays = hi;
      break;
    }
  }
  if (conservativeDays !== null && pointDays !== null) conservativeDays = Math.min(conservativeDays, pointDays);
  return { ...base, alreadyFull: false, pointDays, conservativeDays };
}
