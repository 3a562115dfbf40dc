import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { detectRunDrift } from '../../../domain/metrics/drift.js';
import type { MetricObservation, StoredIncident } from '../../../domain/metrics/incidents.js';
import {
  driftFinding,
  driftObservation,
  formatMetricValue,
  incidentAlert,
  incidentChanges,
  planIncidents,
  type DriftFinding,
} from '../../../domain/monitoring/index.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (h: number) => new Date(T0 + h * HOUR);

const obs = (h: number, severity: MetricObservation['severity'], direction: MetricObservation['direction'] = 'above'): MetricObservation => ({
  target: 'db',
  metric: 'durationSeconds',
  direction: severity === 'info' && direction === 'above' ? 'normal' : direction,
  severity,
  isAnomaly: severity !== 'info',
  at: at(h),
  backupId: `b${h}`,
});

describe('planIncidents: one alert per incident across checks and scans', () => {
  it('opens on critical, continues without alerting, closes on recovery, re-opens with a new alert', () => {
    const first = planIncidents({ open: [], observations: [obs(1, 'critical')], latestCheckedAt: null, now: at(1) });
    expect(first.alerts).toHaveLength(1);
    const second = planIncidents({ open: first.open, observations: [obs(2, 'critical')], latestCheckedAt: at(1), now: at(2) });
    expect(second.alerts).toEqual([]);
    expect(incidentChanges(second).continued).toEqual([first.alerts[0]!.incidentId]);
    const third = planIncidents({ open: second.open, observations: [obs(3, 'info')], latestCheckedAt: at(2), now: at(3) });
    expect(incidentChanges(third).closed).toEqual([
      { incidentId: first.alerts[0]!.incidentId, target: 'db', metric: 'durationSeconds', direction: 'above', reason: 'recovered' },
    ]);
    const fourth = planIncidents({ open: third.open, observations: [obs(4, 'critical')], latestCheckedAt: at(3), now: at(4) });
    expect(fourth.alerts).toHaveLength(1);
    expect(fourth.alerts[0]!.incidentId).not.toBe(first.alerts[0]!.incidentId);
  });

  it('sets aside observations older than the newest checked run (backfilled history) instead of re-ordering incidents', () => {
    const plan = planIncidents({ open: [], observations: [obs(1, 'critical'), obs(5, 'info')], latestCheckedAt: at(3), now: at(5) });
    expect(plan.late.map((o) => o.backupId)).toEqual(['b1']);
    expect(plan.alerts).toEqual([]);
  });

  it('closes an incident idle for more than 7 days as stale, even without new runs', () => {
    const opened = planIncidents({ open: [], observations: [obs(1, 'critical')], latestCheckedAt: null, now: at(1) });
    const later = planIncidents({ open: opened.open, observations: [], latestCheckedAt: at(1), now: at(1 + 7 * 24 + 1) });
    expect(incidentChanges(later).closed.map((c) => c.reason)).toEqual(['stale']);
    expect(later.open).toEqual([]);
  });
});

/** 40 successful runs: 20 steady around 100 s, then 20 creeping to about +10% (no single run anomalous). */
function creepingRuns(): BackupRunRecord[] {
  return Array.from({ length: 40 }, (_, i) => ({
    backupId: `r${i}`,
    target: 'db',
    startedAt: at(i * 24),
    status: 'completed' as const,
    durationSeconds: 100 * (i % 2 === 0 ? 1.02 : 0.98) * (i < 20 ? 1 : 1 + 0.005 * (i - 19)),
    sizeBytes: 1e9,
  }));
}

describe('drift findings and observations', () => {
  it('a slow creep in duration is drifting above: dangerous, critical', () => {
    const runs = creepingRuns();
    const finding = driftFinding('db', detectRunDrift(runs, 'durationSeconds'), runs.length);
    expect(finding).toMatchObject({ status: 'monitored', drifting: true, direction: 'above', dangerous: true, severity: 'critical', runs: 40 });
    expect(finding.current!).toBeGreaterThan(finding.limits!.upper);
    expect(finding.centre!).toBeCloseTo(100, 0);
    const size = driftFinding('db', detectRunDrift(runs, 'sizeBytes'), runs.length);
    expect(size).toMatchObject({ status: 'monitored', drifting: false, severity: 'info', direction: null });
  });

  it('too few runs: insufficient history, never an observation', () => {
    const finding = driftFinding('db', detectRunDrift(creepingRuns().slice(0, 10), 'durationSeconds'), 10);
    expect(finding).toMatchObject({ status: 'insufficient_history', drifting: false });
    expect(finding.message).toContain('not enough history');
    expect(driftObservation(finding, { backupId: 'r9', startedAt: at(9 * 24) }, [])).toBeNull();
  });

  it('observes at the latest run, once: a drift incident that already saw that run gets nothing new', () => {
    const runs = creepingRuns();
    const finding = driftFinding('db', detectRunDrift(runs, 'durationSeconds'), runs.length);
    const latest = { backupId: 'r39', startedAt: at(39 * 24) };
    const observation = driftObservation(finding, latest, []);
    expect(observation).toEqual({
      target: 'db',
      metric: 'durationSeconds:drift',
      direction: 'above',
      severity: 'critical',
      isAnomaly: true,
      at: latest.startedAt,
      backupId: 'r39',
    });
    const open: StoredIncident[] = [
      {
        incidentId: 'i',
        target: 'db',
        metric: 'durationSeconds:drift',
        direction: 'above',
        openedAt: latest.startedAt.toISOString(),
        lastSeenAt: latest.startedAt.toISOString(),
        lastBackupId: 'r39',
        occurrences: 1,
      },
    ];
    expect(driftObservation(finding, latest, open)).toBeNull();
    expect(driftObservation(finding, { backupId: 'r40', startedAt: at(40 * 24) }, open)).not.toBeNull();
  });
});

describe('alert text', () => {
  it("formats values in the metric's units", () => {
    expect(formatMetricValue('durationSeconds', 2.04)).toBe('2.04 s');
    expect(formatMetricValue('durationSeconds', 5400)).toBe('1.5 h');
    expect(formatMetricValue('durationSeconds:drift', 90)).toBe('1.5 min');
    expect(formatMetricValue('sizeBytes', 512e6)).toBe('512 MB');
    expect(formatMetricValue('sizeBytes', 0)).toBe('0 B');
  });

  it('names a partial backup, the values and the usual range', () => {
    const alert = incidentAlert({
      incidentId: 'db|sizeBytes|below|x',
      target: 'db',
      metric: 'sizeBytes',
      direction: 'below',
      kind: 'run',
      details: {
        backupId: 'b1',
        finding: {
          metric: 'sizeBytes',
          value: 2e8,
          isAnomaly: true,
          score: -30.2,
          severity: 'critical',
          direction: 'below',
          expected: { median: 1e9, lower: 8.4e8, upper: 1.19e9 },
          reasons: ['smaller_than_usual', 'possible_partial_backup'],
        },
      },
    });
    expect(alert).toMatchObject({ kind: 'anomaly', target: 'db', incidentId: 'db|sizeBytes|below|x' });
    expect(alert.message).toBe('db: possible partial backup: size far below usual (200 MB vs median 1 GB, usual range 840 MB-1.19 GB; modified z -30.2)');
    expect(alert.details).toMatchObject({ incidentId: 'db|sizeBytes|below|x', backupId: 'b1' });
  });

  it('describes drift with the EWMA and the in-control centre', () => {
    const drift: DriftFinding = {
      target: 'db',
      metric: 'durationSeconds',
      status: 'monitored',
      drifting: true,
      direction: 'above',
      dangerous: true,
      severity: 'critical',
      firstSignalAt: null,
      centre: 100,
      current: 112,
      limits: { lower: 97, upper: 103 },
      runs: 40,
      message: null,
    };
    const alert = incidentAlert({ incidentId: 'i', target: 'db', metric: 'durationSeconds:drift', direction: 'above', kind: 'drift', details: { drift } });
    expect(alert.kind).toBe('anomaly-drift');
    expect(alert.message).toBe('db: duration drifting above its usual level over recent runs (EWMA 1.87 min vs in-control centre 1.67 min)');
  });
});
