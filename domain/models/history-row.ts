/**
 * Validation of one row of an imported backup-history file (CSV or JSON Lines): raw field values in, a run ready
 * for `backup_runs` or one clear reason out. Pure: the caller passes `now` (future start times are refused).
 *
 * Columns (snake_case, as in the files and in `backup_runs`):
 * - required: backup_id, target, started_at (ISO 8601; no offset means UTC), status (completed | failed),
 *   duration_seconds, size_bytes;
 * - optional: database_size_gb, free_space_gb, estimated_duration, estimated_size, error_message, hour_of_day,
 *   day_of_week, previous_success_rate.
 * Empty strings and nulls mean "not given". hour_of_day, day_of_week and previous_success_rate are stored as given
 * (computed from started_at in UTC when absent) but the feature pipeline never reads them: it recomputes every
 * feature point in time, so a previous_success_rate that was computed including the run itself cannot leak.
 */
import type { BackupRunRecord } from '../history/types.js';

export const REQUIRED_HISTORY_COLUMNS = ['backup_id', 'target', 'started_at', 'status', 'duration_seconds', 'size_bytes'] as const;
export const OPTIONAL_HISTORY_COLUMNS = [
  'database_size_gb',
  'free_space_gb',
  'estimated_duration',
  'estimated_size',
  'error_message',
  'hour_of_day',
  'day_of_week',
  'previous_success_rate',
] as const;
export const HISTORY_COLUMNS = [...REQUIRED_HISTORY_COLUMNS, ...OPTIONAL_HISTORY_COLUMNS] as const;
export type HistoryColumn = (typeof HISTORY_COLUMNS)[number];

/** Bounds that catch unit mix-ups (milliseconds for seconds, bytes for GB) and corrupt values. */
export const HISTORY_LIMITS = {
  maxDurationSeconds: 31 * 24 * 3600,
  /** Largest size a double holds exactly (about 9 PB). */
  maxBytes: Number.MAX_SAFE_INTEGER,
  /** 10 PB expressed in GB. */
  maxGb: 10_000_000,
  earliestStart: Date.UTC(1990, 0, 1),
  /** Start times later than `now` plus this are refused (clock skew tolerance). */
  futureToleranceMs: 24 * 3600_000,
  maxBackupIdLength: 256,
  maxErrorMessageLength: 2000,
} as const;

const TARGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A run as stored by an import: the history record plus the optional descriptive columns. */
export interface ImportedRun extends BackupRunRecord {
  hourOfDay: number;
  dayOfWeek: number;
  previousSuccessRate: number | null;
}

export type HistoryRowResult = { ok: true; run: ImportedRun } | { ok: false; reason: string };

class RowProblem extends Error {}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function text(raw: Record<string, unknown>, column: HistoryColumn): string | null {
  const v = raw[column];
  if (isMissing(v)) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RowProblem(`${column} must be text, got ${Array.isArray(v) ? 'a list' : typeof v}`);
}

function requiredText(raw: Record<string, unknown>, column: HistoryColumn): string {
  const v = text(raw, column);
  if (v === null) throw new RowProblem(`${column} is missing`);
  return v;
}

function number(raw: Record<string, unknown>, column: HistoryColumn, min: number, max: number, options: { integer?: boolean } = {}): number | null {
  const v = raw[column];
  if (isMissing(v)) return null;
  let value: number;
  if (typeof v === 'number') value = v;
  else if (typeof v === 'string') value = Number(v.trim());
  else throw new RowProblem(`${column} must be a number, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  if (!Number.isFinite(value)) throw new RowProblem(`${column} is not a finite number (${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(v)})`);
  if (value < min) throw new RowProblem(`${column} must be >= ${min} (got ${value})`);
  if (value > max) throw new RowProblem(`${column} is implausibly large (${value} > ${max})`);
  if (options.integer && !Number.isInteger(value)) throw new RowProblem(`${column} must be a whole number (got ${value})`);
  return value;
}

function requiredNumber(raw: Record<string, unknown>, column: HistoryColumn, min: number, max: number, options: { integer?: boolean } = {}): number {
  const v = number(raw, column, min, max, options);
  if (v === null) throw new RowProblem(`${column} is missing`);
  return v;
}

/** Parses an ISO 8601 date-time; no offset means UTC. Returns epoch ms or null when it is not one. */
export function parseIsoInstant(value: string): number | null {
  const m = ISO_DATE_TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  const ms = fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

/** Validates one row; `raw` maps column names to the file's values (strings from CSV, JSON values from JSONL). */
export function parseHistoryRow(raw: Record<string, unknown>, now: Date): HistoryRowResult {
  try {
    const L = HISTORY_LIMITS;
    const backupId = requiredText(raw, 'backup_id');
    if (backupId.length > L.maxBackupIdLength) throw new RowProblem(`backup_id is longer than ${L.maxBackupIdLength} characters`);
    const target = requiredText(raw, 'target');
    if (!TARGET_NAME.test(target)) {
      throw new RowProblem(`target ${JSON.stringify(target.slice(0, 80))} must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
    const startedText = requiredText(raw, 'started_at');
    const startMs = parseIsoInstant(startedText);
    if (startMs === null)
      throw new RowProblem(`started_at ${JSON.stringify(startedText.slice(0, 40))} is not an ISO 8601 date-time (e.g. 2026-01-31T02:00:00Z)`);
    // Sliced like the other quoted values: the pattern accepts any number of fraction digits and blanks.
    if (startMs < L.earliestStart) throw new RowProblem(`started_at ${startedText.slice(0, 40)} is before 1990`);
    if (startMs > now.getTime() + L.futureToleranceMs) throw new RowProblem(`started_at ${startedText.slice(0, 40)} is in the future`);
    const status = requiredText(raw, 'status').toLowerCase();
    if (status !== 'completed' && status !== 'failed')
      throw new RowProblem(`status must be "completed" or "failed" (got ${JSON.stringify(status.slice(0, 40))})`);
    const durationSeconds = requiredNumber(raw, 'duration_seconds', 0, L.maxDurationSeconds);
    const sizeBytes = requiredNumber(raw, 'size_bytes', 0, L.maxBytes, { integer: true });
    const databaseSizeGb = number(raw, 'database_size_gb', 0, L.maxGb);
    const freeSpaceGb = number(raw, 'free_space_gb', 0, L.maxGb);
    const estimatedDuration = number(raw, 'estimated_duration', 0, L.maxDurationSeconds);
    const estimatedSize = number(raw, 'estimated_size', 0, L.maxBytes);
    const errorMessage = text(raw, 'error_message');
    const startDate = new Date(startMs);
    const hourOfDay = number(raw, 'hour_of_day', 0, 23, { integer: true }) ?? startDate.getUTCHours();
    const dayOfWeek = number(raw, 'day_of_week', 0, 6, { integer: true }) ?? startDate.getUTCDay();
    const previousSuccessRate = number(raw, 'previous_success_rate', 0, 1);
    return {
      ok: true,
      run: {
        backupId,
        target,
        startedAt: startDate,
        status,
        durationSeconds,
        sizeBytes,
        databaseSizeGb,
        freeSpaceGb,
        estimatedDuration,
        estimatedSize,
        errorMessage: errorMessage === null ? null : errorMessage.slice(0, L.maxErrorMessageLength),
        hourOfDay,
        dayOfWeek,
        previousSuccessRate,
      },
    };
  } catch (error) {
    if (error instanceof RowProblem) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Required columns a CSV header lacks (the import stops at once: no row could be valid). */
export function missingRequiredColumns(header: readonly string[]): string[] {
  const present = new Set(header.map((h) => h.trim().toLowerCase()));
  return REQUIRED_HISTORY_COLUMNS.filter((c) => !present.has(c));
}

/** Header columns the import does not know (reported once, then ignored). */
export function unknownColumns(header: readonly string[]): string[] {
  const known = new Set<string>(HISTORY_COLUMNS);
  return header.map((h) => h.trim().toLowerCase()).filter((h) => h !== '' && !known.has(h));
}

/** The row as a history file stores it (used by `history generate` and export of test data). */
export function historyRowOf(run: BackupRunRecord): Record<HistoryColumn, string | number | null> {
  const start = run.startedAt;
  return {
    backup_id: run.backupId,
    target: run.target,
    started_at: start.toISOString(),
    status: run.status,
    duration_seconds: run.durationSeconds,
    size_bytes: run.sizeBytes,
    database_size_gb: run.databaseSizeGb ?? null,
    free_space_gb: run.freeSpaceGb ?? null,
    estimated_duration: run.estimatedDuration ?? null,
    estimated_size: run.estimatedSize ?? null,
    error_message: run.errorMessage ?? null,
    hour_of_day: start.getUTCHours(),
    day_of_week: start.getUTCDay(),
    previous_success_rate: null,
  };
}
