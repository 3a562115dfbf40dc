import { describe, expect, it } from 'vitest';
import { buildBaselines } from '../../../domain/metrics/baselines.js';
import { observationsFromScores, reconcileIncidents, type MetricObservation, type OpenIncident } from '../../../domain/metrics/incidents.js';
import { scoreRun } from '../../../domain/metrics/scoring.js';
import type { Direction, Severity } from '../../../domain/metrics/zscore.js';
import { DAY_MS, HOUR_MS, SUNDAY, run } from './helpers.js';

const at = (day: number) => new Date(SUNDAY + day * DAY_MS);
function obs(day: number, severity: Severity, direction: Direction, extra: Partial<MetricObservation> = {}): MetricObservation {
  return {
    target: 'db',
    metric: 'durationSeconds',
    direction,
    severity,
    isAnomaly: direction !== 'normal',
    at: at(day),
    backupId: `b${day}`,
    ...extra,
  };
}

describe('reconcileIncidents', () => {
  it('several consecutive critical runs -> one alert; the next normal run closes the incident', () => {
    const decision = reconcileIncidents([], [obs(1, 'critical', 'above'), obs(2, 'critical', 'above'), obs(3, 'critical', 'above')]);
    expect(decision.alerts).toHaveLength(1);
    expect(decision.alerts[0]).toMatchObject({ target: 'db', metric: 'durationSeconds', direction: 'above', openedAt: at(1) });
    expect(decision.continued.map((c) => c.backupId)).toEqual(['b2', 'b3']);
    expect(decision.open).toHaveLength(1);
    expect(decision.open[0]).toMatchObject({ occurrences: 3, lastSeenAt: at(3), lastBackupId: 'b3' });

    const next = reconcileIncidents(decision.open, [obs(4, 'info', 'normal'), obs(5, 'critical', 'above')]);
    expect(next.closed).toEqual([{ incident: expect.objectContaining({ occurrences: 3 }), closedAt: at(4), reason: 'recovered', closedByBackupId: 'b4' }]);
    expect(next.alerts).toHaveLength(1); // a new incident after recovery alerts again
    expect(next.alerts[0]!.incidentId).not.toBe(decision.alerts[0]!.incidentId);
  });

  it('warnings never open an incident but keep an open one alive (hysteresis)', () => {
    expect(reconcileIncidents([], [obs(1, 'warning', 'above'), obs(2, 'warning', 'above')]).alerts).toEqual([]);
    const d = reconcileIncidents([], [obs(1, 'critical', 'above'), obs(2, 'warning', 'above'), obs(3, 'critical', 'above')]);
    expect(d.alerts).toHaveLength(1);
    expect(d.closed).toEqual([]);
    expect(d.open[0]!.occurrences).toBe(3);
  });

  it('a flip to the other direction closes the old incident and opens a new one', () => {
    const d = reconcileIncidents([], [obs(1, 'critical', 'below', { metric: 'sizeBytes' }), obs(2, 'critical', 'above', { metric: 'sizeBytes' })]);
    expect(d.alerts.map((a) => a.direction)).toEqual(['below', 'above']);
    expect(d.closed.map((c) => c.reason)).toEqual(['recovered']);
    expect(d.open.map((o) => o.direction)).toEqual(['above']);
  });

  it('keys are per target + metric + direction', () => {
    const d = reconcileIncidents(
      [],
      [
        obs(1, 'critical', 'above'),
        obs(1, 'critical', 'above', { target: 'other' }),
        obs(1, 'critical', 'below', { metric: 'sizeBytes' }),
        obs(2, 'critical', 'above'),
      ],
    );
    expect(d.alerts).toHaveLength(3);
    // a normal size observation does not close the duration incident
    const e = reconcileIncidents(d.open, [obs(3, 'info', 'normal', { metric: 'sizeBytes' })]);
    expect(e.closed.map((c) => `${c.incident.target}/${c.incident.metric}`)).toEqual(['db/sizeBytes']);
    expect(e.open).toHaveLength(2);
  });

  it('stale incidents close and a later critical finding opens a new one', () => {
    const first = reconcileIncidents([], [obs(1, 'critical', 'above')]);
    const later = reconcileIncidents(first.open, [obs(20, 'critical', 'above')]);
    expect(later.closed).toMatchObject([{ reason: 'stale' }]);
    expect(later.alerts).toHaveLength(1);
    const byClock = reconcileIncidents(first.open, [], { now: at(9) });
    expect(byClock.closed).toMatchObject([{ reason: 'stale', closedAt: at(9), closedByBackupId: null }]);
    expect(byClock.open).toEqual([]);
    expect(reconcileIncidents(first.open, [], { now: at(5) }).open).toHaveLength(1);
  });

  it('accepts open incidents read back from JSON (dates as strings)', () => {
    const stored = JSON.parse(JSON.stringify(reconcileIncidents([], [obs(1, 'critical', 'above')]).open));
    const d = reconcileIncidents(stored, [obs(2, 'critical', 'above')]);
    expect(d.alerts).toEqual([]);
    expect(d.open[0]).toMatchObject({ openedAt: at(1), lastSeenAt: at(2), occurrences: 2 });
    expect(() => reconcileIncidents([{ ...stored[0], lastSeenAt: 'garbage' }], [])).toThrow(/invalid/);
  });

  it('applies observations in time order and does not mutate its inputs', () => {
    const open: OpenIncident[] = [];
    const observations = [obs(3, 'info', 'normal'), obs(1, 'critical', 'above'), obs(2, 'critical', 'above')];
    const snapshot = structuredClone(observations);
    const d = reconcileIncidents(open, observations);
    expect(d.alerts).toHaveLength(1);
    expect(d.closed).toMatchObject([{ reason: 'recovered', closedAt: at(3) }]);
    expect(observations).toEqual(snapshot);
    const existing = reconcileIncidents([], [obs(1, 'critical', 'above')]).open;
    const copy = structuredClone(existing);
    reconcileIncidents(existing, [obs(2, 'critical', 'above')]);
    expect(existing).toEqual(copy);
  });

  it('end to end from scored runs: three slow runs in a row -> one alert, then recovery', () => {
    const history = Array.from({ length: 20 }, (_, d) =>
      run({ target: 'db', startedAt: new Date(SUNDAY + d * DAY_MS + 2 * HOUR_MS), durationSeconds: 100 + (d % 3) }),
    );
    const baselines = buildBaselines(history);
    const newRuns = [400, 420, 390, 101].map((duration, i) =>
      run({ target: 'db', startedAt: new Date(SUNDAY + (21 + i) * DAY_MS + 2 * HOUR_MS), durationSeconds: duration }),
    );
    const decision = reconcileIncidents([], observationsFromScores(newRuns.map((r) => scoreRun(baselines, r))));
    expect(decision.alerts).toHaveLength(1);
    expect(decision.alerts[0]!.lastBackupId).toBe(newRuns[2]!.backupId);
    expect(decision.continued).toHaveLength(2);
    expect(decision.closed).toMatchObject([{ reason: 'recovered', closedByBackupId: newRuns[3]!.backupId }]);
    expect(decision.open).toEqual([]);
  });
});
