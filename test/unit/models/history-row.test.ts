import { describe, expect, it } from 'vitest';
import { missingRequiredColumns, parseHistoryRow, parseIsoInstant, unknownColumns } from '../../../domain/models/history-row.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const good = {
  backup_id: 'b-1',
  target: 'orders-db',
  started_at: '2026-05-31T02:30:00Z',
  status: 'completed',
  duration_seconds: '300',
  size_bytes: '1048576',
};
const reasonOf = (raw: Record<string, unknown>) => {
  const r = parseHistoryRow(raw, NOW);
  return r.ok ? null : r.reason;
};

describe('parseIsoInstant', () => {
  it('reads offsets, fractions and space-separated times; no offset means UTC', () => {
    expect(parseIsoInstant('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(parseIsoInstant('2026-01-02 03:04')).toBe(Date.UTC(2026, 0, 2, 3, 4));
    expect(parseIsoInstant('2026-01-02T03:04:05.1234567+02:00')).toBe(Date.UTC(2026, 0, 2, 1, 4, 5, 123));
    expect(parseIsoInstant('2026-01-02T03:04:05-0130')).toBe(Date.UTC(2026, 0, 2, 4, 34, 5));
  });

  it('refuses dates that do not exist and text that is not a date-time', () => {
    for (const bad of ['2026-02-29T00:00:00Z', '2026-13-01T00:00Z', '2026-01-01', 'yesterday', '2026-01-01T24:00Z', '1717200000']) {
      expect(parseIsoInstant(bad), bad).toBeNull();
    }
    expect(parseIsoInstant('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });
});

describe('parseHistoryRow', () => {
  it('turns a CSV row (strings) into a run, computing hour and day of week in UTC when absent', () => {
    const r = parseHistoryRow({ ...good, free_space_gb: '', error_message: '  ' }, NOW);
    expect(r).toEqual({
      ok: true,
      run: {
        backupId: 'b-1',
        target: 'orders-db',
        startedAt: new Date('2026-05-31T02:30:00Z'),
        status: 'completed',
        durationSeconds: 300,
        sizeBytes: 1048576,
        databaseSizeGb: null,
        freeSpaceGb: null,
        estimatedDuration: null,
        estimatedSize: null,
        errorMessage: null,
        hourOfDay: 2,
        dayOfWeek: 0,
        previousSuccessRate: null,
      },
    });
  });

  it('accepts JSON values and keeps the optional columns as given', () => {
    const r = parseHistoryRow(
      { ...good, status: 'FAILED', duration_seconds: 12.5, size_bytes: 0, hour_of_day: 4, previous_success_rate: 0.9, database_size_gb: 12 },
      NOW,
    );
    expect(r.ok && r.run).toMatchObject({ status: 'failed', durationSeconds: 12.5, sizeBytes: 0, hourOfDay: 4, previousSuccessRate: 0.9, databaseSizeGb: 12 });
  });

  it('gives one reason per bad row: missing, NaN, negative, huge, wrong kinds, future', () => {
    expect(reasonOf({ ...good, backup_id: '' })).toBe('backup_id is missing');
    expect(reasonOf({ ...good, target: 'has space' })).toMatch(/^target "has space" must be 1-63 letters/);
    expect(reasonOf({ ...good, status: 'ok' })).toBe('status must be "completed" or "failed" (got "ok")');
    expect(reasonOf({ ...good, duration_seconds: 'NaN' })).toBe('duration_seconds is not a finite number ("NaN")');
    expect(reasonOf({ ...good, duration_seconds: Number.POSITIVE_INFINITY })).toBe('duration_seconds is not a finite number (Infinity)');
    expect(reasonOf({ ...good, duration_seconds: '-1' })).toBe('duration_seconds must be >= 0 (got -1)');
    expect(reasonOf({ ...good, duration_seconds: String(40 * 86400) })).toBe('duration_seconds is implausibly large (3456000 > 2678400)');
    expect(reasonOf({ ...good, size_bytes: '1.5' })).toBe('size_bytes must be a whole number (got 1.5)');
    expect(reasonOf({ ...good, size_bytes: '1e30' })).toMatch(/^size_bytes is implausibly large/);
    expect(reasonOf({ ...good, free_space_gb: [1] })).toBe('free_space_gb must be a number, got a list');
    expect(reasonOf({ ...good, hour_of_day: 24 })).toBe('hour_of_day is implausibly large (24 > 23)');
    expect(reasonOf({ ...good, previous_success_rate: 1.2 })).toBe('previous_success_rate is implausibly large (1.2 > 1)');
    expect(reasonOf({ ...good, started_at: '2026-06-03T00:00:00Z' })).toBe('started_at 2026-06-03T00:00:00Z is in the future');
    expect(reasonOf({ ...good, started_at: '1980-01-01T00:00:00Z' })).toBe('started_at 1980-01-01T00:00:00Z is before 1990');
    const { size_bytes: _omitted, ...noSize } = good;
    expect(reasonOf(noSize)).toBe('size_bytes is missing');
  });

  it('checks a CSV header for required and unknown columns', () => {
    expect(missingRequiredColumns(['backup_id', 'TARGET', 'started_at', 'status'])).toEqual(['duration_seconds', 'size_bytes']);
    expect(unknownColumns(['backup_id', 'Extra', '', 'hour_of_day'])).toEqual(['extra']);
  });
});
