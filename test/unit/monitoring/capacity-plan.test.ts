import { describe, expect, it } from 'vitest';
import { capacityAlert, capacityEntry, capacityVerdict, combineRunningTotals, retainedSeries } from '../../../domain/monitoring/index.js';

describe('retained backup series', () => {
  it('is the running total of daily bytes, in GB, sorted by day', () => {
    expect(
      retainedSeries([
        { day: '2026-11-03', bytes: 5e8 },
        { day: '2026-11-01', bytes: 1e9 },
        { day: '2026-11-02', bytes: 2.5e9 },
      ]),
    ).toEqual([
      { at: '2026-11-01T00:00:00Z', value: 1 },
      { at: '2026-11-02T00:00:00Z', value: 3.5 },
      { at: '2026-11-03T00:00:00Z', value: 4 },
    ]);
  });

  it('sums several running totals on the union of days, each holding its last value', () => {
    const a = [
      { at: '2026-11-01T00:00:00Z', value: 1 },
      { at: '2026-11-03T00:00:00Z', value: 3 },
    ];
    const b = [
      { at: '2026-11-02T00:00:00Z', value: 10 },
      { at: '2026-11-03T00:00:00Z', value: 11 },
      { at: '2026-11-04T00:00:00Z', value: 12 },
    ];
    expect(combineRunningTotals([a, b])).toEqual([
      { at: '2026-11-01T00:00:00Z', value: 1 },
      { at: '2026-11-02T00:00:00Z', value: 11 },
      { at: '2026-11-03T00:00:00Z', value: 14 },
      { at: '2026-11-04T00:00:00Z', value: 15 },
    ]);
  });
});

describe('capacity verdict', () => {
  const full = (point: number | null, conservative: number | null, alreadyFull = false) => ({ point, conservative, alreadyFull, growing: true });
  it('alerts only when the conservative estimate is below the horizon', () => {
    expect(capacityVerdict(full(20, 10), 14)).toEqual({ alert: true, severity: 'warning' });
    expect(capacityVerdict(full(5, 4), 14)).toEqual({ alert: true, severity: 'critical' });
    expect(capacityVerdict(full(20, 14), 14)).toEqual({ alert: false, severity: null });
    expect(capacityVerdict(full(null, null), 14)).toEqual({ alert: false, severity: null });
    expect(capacityVerdict(full(0, 0, true), 14)).toEqual({ alert: true, severity: 'critical' });
    expect(capacityVerdict(null, 14)).toEqual({ alert: false, severity: null });
  });
});

describe('capacityEntry', () => {
  // 1 GB more each day for 20 days (1..20 GB): an exact line, so both estimates are (25 - 20) / 1 = 5 days.
  const line = Array.from({ length: 20 }, (_, i) => ({ at: Date.UTC(2026, 10, 1 + i), value: i + 1 }));

  it('forecasts days until full and alerts below the horizon', () => {
    const { entry } = capacityEntry({
      name: 'db',
      kind: 'target',
      series: 'retained-backups',
      points: line,
      capacityGb: 25,
      capacitySource: 'config',
      horizonDays: 14,
    });
    expect(entry).toMatchObject({ status: 'forecast', points: 20, lastDate: '2026-11-20', lastValueGb: 20, capacityGb: 25, alert: true, severity: 'critical' });
    expect(entry.daysUntilFull!.point).toBeCloseTo(5, 6);
    expect(entry.daysUntilFull!.conservative).toBeCloseTo(5, 6);
    expect(entry.forecast).toMatchObject({ method: 'ols', trend: 'increasing', daysAhead: 14, targetDate: '2026-12-04' });
    expect(entry.forecast!.predictedSizeGb).toBeCloseTo(34, 6);
    const alert = capacityAlert(entry, 14)!;
    expect(alert).toMatchObject({ name: 'db', target: 'db', severity: 'critical' });
    expect(alert.message).toBe(
      'db: backup storage may be full in 5.0 days (95% upper bound; point estimate 5.0 days), below the 14-day horizon; 20.0 of 25.0 GB used (config)',
    );
  });

  it('does not alert above the horizon, nor without a capacity', () => {
    expect(
      capacityEntry({ name: 'db', kind: 'target', series: 'retained-backups', points: line, capacityGb: 25, capacitySource: 'config', horizonDays: 3 }).entry
        .alert,
    ).toBe(false);
    const roomy = capacityEntry({
      name: 'db',
      kind: 'target',
      series: 'retained-backups',
      points: line,
      capacityGb: 1000,
      capacitySource: 'config',
      horizonDays: 14,
    }).entry;
    expect(roomy.daysUntilFull!.point).toBeCloseTo(980, 6);
    expect(roomy.alert).toBe(false);
    expect(capacityAlert(roomy, 14)).toBeNull();
    const none = capacityEntry({
      name: 'db',
      kind: 'target',
      series: 'database-size',
      points: line,
      capacityGb: null,
      capacitySource: 'none',
      horizonDays: 14,
    }).entry;
    expect(none).toMatchObject({ status: 'forecast', daysUntilFull: null, alert: false });
  });

  it('too little history is an entry that says so, not an error', () => {
    const { entry, forecast } = capacityEntry({
      name: 'db',
      kind: 'target',
      series: 'retained-backups',
      points: line.slice(0, 2),
      capacityGb: 25,
      capacitySource: 'config',
      horizonDays: 14,
    });
    expect(forecast).toBeNull();
    expect(entry).toMatchObject({ status: 'insufficient_history', alert: false, forecast: null });
    expect(entry.message).toBe('not enough history: 2 distinct day(s) after folding duplicates; a forecast needs at least 3');
  });
});
