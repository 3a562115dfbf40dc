import { InvalidArgumentError } from 'commander';

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
