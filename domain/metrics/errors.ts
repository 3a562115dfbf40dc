/** Why an input was rejected; stable strings so callers (CLI, activities) can branch without parsing messages. */
export type MetricsInputErrorCode =
  | 'EMPTY_SERIES'
  | 'TOO_FEW_POINTS'
  | 'INVALID_VALUE'
  | 'INVALID_TIMESTAMP'
  | 'INVALID_HORIZON'
  | 'INVALID_CAPACITY'
  | 'INVALID_OPTION';

/** Thrown for inputs the metrics functions cannot answer honestly (instead of returning NaN or a guess). */
export class MetricsInputError extends Error {
  readonly code: MetricsInputErrorCode;

  constructor(code: MetricsInputErrorCode, message: string) {
    super(message);
    this.name = 'MetricsInputError';
    this.code = code;
  }
}

export function requirePositiveFinite(value: number, name: string, code: MetricsInputErrorCode = 'INVALID_OPTION'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MetricsInputError(code, `${name} must be a positive finite number, got ${String(value)}`);
  }
  return value;
}

export function requirePositiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new MetricsInputError('INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
