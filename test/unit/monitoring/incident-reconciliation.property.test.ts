/**
 * Incident reconciliation under any interleaving (issue #11 item 6): random run sets for a few targets and
 * metrics, with tied start times (overlapping imports), cut into random scan batches, each planned with
 * planIncidents and stored with incidentWrites into a model of `anomaly_incidents` that enforces its primary key
 * and its partial unique index `anomaly_incidents_one_open` after every single write, as PostgreSQL does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetricObservation, OpenIncident } from '../../../domain/metrics/incidents.js';
import { incidentWrites, planIncidents } from '../../../domain/monitoring/index.js';
import { HOSTILE_SEED, RUNS_MEDIUM } from '../hostile/budgets.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

interface Row extends OpenIncident {
  closedAt: Date | null;
}

/** The table as the constraints see it. */
class IncidentTable {
  readonly rows = new Map<string, Row>();
  private checkOneOpen(): void {
    const open = new Set<string>();
    for (const r of this.rows.values()) {
      if (r.closedAt !== null) continue;
      const key = `${r.target}|${r.metric}|${r.direction}`;
      if (open.has(key)) throw new Error(`duplicate key value violates unique constraint "anomaly_incidents_one_open": ${key}`);
      open.add(key);
    }
  }
  insert(row: Row): void {
    if (this.rows.has(row.incidentId)) throw new Error(`duplicate incident_id ${row.incidentId}`);
    this.rows.set(row.incidentId, { ...row });
    this.checkOneOpen();
  }
  update(id: string, change: Partial<Row>): void {
    const row = this.rows.get(id);
    if (!row || row.closedAt !== null) return; // WHERE closed_at IS NULL
    Object.assign(row, change);
    this.checkOneOpen();
  }
  open(target: string): OpenIncident[] {
    return [...this.rows.values()].filter((r) => r.target === target && r.closedAt === null).sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  }
  /** incidentsTouchedSince */
  touchedSince(target: string, since: Date): string[] {
    return [...this.rows.values()].filter((r) => r.target === target && (r.openedAt >= since || r.lastSeenAt >= since)).map((r) => r.incidentId);
  }
}

const observation = fc.record({
  target: fc.constantFrom('a', 'b'),
  metric: fc.constantFrom('durationSeconds', 'sizeBytes', 'durationSeconds:drift'),
  // few distinct hours: many ties, as two imported histories of one target give
  hour: fc.integer({ min: 0, max: 8 }),
  kind: fc.constantFrom('critical-above', 'critical-below', 'warning-above', 'warning-below', 'normal'),
  run: fc.integer({ min: 0, max: 5 }),
});

const scenario = fc.record({
  observations: fc.array(observation, { minLength: 1, maxLength: 60, size: 'medium' }),
  // where the run set is cut into scans, and in which order each scan lists its observations
  cuts: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }),
  shuffle: fc.array(fc.integer(), { minLength: 60, maxLength: 60 }),
  staleAfterHours: fc.constantFrom(3, 12, 24 * 7),
});

function toObservation(o: { target: string; metric: string; hour: number; kind: string; run: number }): MetricObservation {
  const [severity, direction] = o.kind === 'normal' ? (['info', 'normal'] as const) : (o.kind.split('-') as ['critical' | 'warning', 'above' | 'below']);
  return {
    target: o.target,
    metric: o.metric,
    direction,
    severity,
    isAnomaly: o.kind !== 'normal',
    at: new Date(T0 + o.hour * HOUR),
    backupId: `${o.target}-${o.hour}-${o.run}`,
  };
}

describe('incident reconciliation: planned and stored, never two open incidents per key', () => {
  it('holds for random run sets cut into random scans in any order, and the table always matches the plan', () => {
    fc.assert(
      fc.property(scenario, ({ observations, cuts, shuffle, staleAfterHours }) => {
        const all = observations.map(toObservation);
        const bounds = [...new Set([0, ...cuts.map((c) => Math.min(c, all.length)), all.length])].sort((x, y) => x - y);
        const table = new IncidentTable();
        const latestChecked = new Map<string, number>();
        for (let b = 0; b + 1 < bounds.length; b++) {
          const batch = all.slice(bounds[b], bounds[b + 1]);
          for (const target of ['a', 'b']) {
            const mine = batch
              .map((o, i) => ({ o, k: shuffle[(bounds[b]! + i) % shuffle.length]! }))
              .filter(({ o }) => o.target === target)
              .sort((x, y) => x.k - y.k)
              .map(({ o }) => o);
            if (mine.length === 0) continue;
            const open = table.open(target);
            const earliest = new Date(Math.min(...mine.map((o) => o.at.getTime())));
            const latest = latestChecked.get(target);
            const now = new Date(Math.max(...mine.map((o) => o.at.getTime())));
            const plan = planIncidents({
              open,
              observations: mine,
              latestCheckedAt: latest === undefined ? null : new Date(latest),
              now,
              staleAfterMs: staleAfterHours * HOUR,
              takenIds: new Set(table.touchedSince(target, earliest)),
            });
            latestChecked.set(target, Math.max(latest ?? -Infinity, now.getTime()));

            // The plan itself: one open incident per key, unique new IDs, every stored open incident accounted for.
            const keys = plan.open.map((i) => `${i.target}|${i.metric}|${i.direction}`);
            expect(new Set(keys).size).toBe(keys.length);
            const newIds = plan.alerts.map((i) => i.incidentId);
            expect(new Set(newIds).size).toBe(newIds.length);
            for (const id of newIds) expect(table.rows.has(id)).toBe(false);
            for (const stored of open) {
              const stillOpen = plan.open.some((i) => i.incidentId === stored.incidentId);
              const closed = plan.closed.filter((c) => c.incident.incidentId === stored.incidentId).length;
              expect(Number(stillOpen) + closed).toBe(1);
            }

            // Stored write by write: the model table throws as PostgreSQL would on any violation.
            for (const w of incidentWrites(plan)) {
              if (w.op === 'close') {
                const { incident, closedAt } = w.closed;
                table.update(incident.incidentId, {
                  closedAt,
                  lastSeenAt: incident.lastSeenAt,
                  lastBackupId: incident.lastBackupId,
                  occurrences: incident.occurrences,
                });
              } else if (w.op === 'update') {
                table.update(w.incident.incidentId, {
                  lastSeenAt: w.incident.lastSeenAt,
                  lastBackupId: w.incident.lastBackupId,
                  occurrences: w.incident.occurrences,
                });
              } else table.insert({ ...w.incident, closedAt: w.closed?.closedAt ?? null });
            }

            // What is stored is what the plan says: the open set, and every new incident as a row.
            const storedOpen = table
              .open(target)
              .map((i) => [i.incidentId, i.lastSeenAt.getTime(), i.occurrences])
              .sort();
            expect(storedOpen).toEqual(plan.open.map((i) => [i.incidentId, i.lastSeenAt.getTime(), i.occurrences]).sort());
            for (const id of newIds) expect(table.rows.has(id)).toBe(true);
            for (const c of plan.closed) expect(table.rows.get(c.incident.incidentId)?.closedAt).toEqual(c.closedAt);
          }
        }
      }),
      { numRuns: RUNS_MEDIUM, ...(HOSTILE_SEED === undefined ? {} : { seed: HOSTILE_SEED }) },
    );
  });

  it('stores a scan that opens, closes and reopens one key (the overlapping-import case) without breaking the index', () => {
    const obs = (hour: number, critical: boolean, run: string): MetricObservation => ({
      target: 'db-001',
      metric: 'durationSeconds',
      direction: critical ? 'above' : 'normal',
      severity: critical ? 'critical' : 'info',
      isAnomaly: critical,
      at: new Date(T0 + hour * HOUR),
      backupId: run,
    });
    const plan = planIncidents({
      open: [],
      observations: [obs(1, true, 's7-1'), obs(1.5, false, 'r1'), obs(2, true, 's7-2'), obs(2, false, 'r2'), obs(2, true, 's7-3')],
      latestCheckedAt: null,
      now: new Date(T0 + 3 * HOUR),
    });
    expect(plan.alerts).toHaveLength(3);
    expect(new Set(plan.alerts.map((a) => a.incidentId)).size).toBe(3); // two opened at the same instant
    const table = new IncidentTable();
    for (const w of incidentWrites(plan)) if (w.op === 'insert') table.insert({ ...w.incident, closedAt: w.closed?.closedAt ?? null });
    expect(table.open('db-001').map((i) => i.incidentId)).toEqual(plan.open.map((i) => i.incidentId));
  });
});
