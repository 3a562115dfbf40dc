import { InvalidArgumentError } from 'commander';
import { parseDurationMs } from '../domain/settings/duration.js';

/** Commander argument parsers that reject bad numbers with a message naming the expected range. */
export function numberIn(min: number, max: number, what = 'a number') {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max)
      throw new InvalidArgumentError(`must be ${what} between ${min} and ${max} (got "${raw}")`);
    return value;
  };
}

export function wholeNumber(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const value = numberIn(min, max, 'a whole number')(raw);
    if (!Number.isInteger(value)) throw new InvalidArgumentError(`must be a whole number (got "${raw}")`);
    return value;
  };
}

export const nonNegative = numberIn(0, Number.MAX_VALUE, 'a number');

/** A duration such as `90s`, `15m`, `2h` or a number of seconds, in milliseconds, between `minMs` and `maxMs`. */
export function durationIn(minMs: number, maxMs: number) {
  return (raw: string): number => {
    const ms = parseDurationMs(/^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw);
    if (ms === undefined || ms < minMs || ms > maxMs)
      throw new InvalidArgumentError(
        `must be a duration such as 30s, 15m or 2h (or seconds) between ${minMs / 1000} s and ${maxMs / 3_600_000} h (got "${raw}")`,
      );
    return ms;
  };
}
