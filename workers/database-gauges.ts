import type pg from 'pg';
import { awaitingApprovalByTarget, openAnomalyIncidentsByTarget } from '../db/repositories/gauge-readings.js';
import { type DatabaseReadings, readDatabaseGaugesFrom, type TargetLabels } from '../platform/telemetry.js';

/**
 * Points the database gauges at this worker's pool. Targets outside sentinel.yaml are summed under `_other`, so
 * the series stay bounded by the configuration whatever the tables hold (imported history, removed targets).
 */
export function attachDatabaseGauges(db: pg.Pool, labels: TargetLabels): void {
  readDatabaseGaugesFrom(async (): Promise<DatabaseReadings> => {
    const [waiting, incidents] = await Promise.all([awaitingApprovalByTarget(db), openAnomalyIncidentsByTarget(db)]);
    const awaiting = new Map<string, { target: string; runs: number; oldestSeconds: number }>();
    for (const row of waiting) {
      const target = labels.label(row.target);
      const seen = awaiting.get(target);
      awaiting.set(target, { target, runs: (seen?.runs ?? 0) + row.runs, oldestSeconds: Math.max(seen?.oldestSeconds ?? 0, row.oldestSeconds) });
    }
    const open = new Map<string, number>();
    for (const row of incidents) open.set(labels.label(row.target), (open.get(labels.label(row.target)) ?? 0) + row.incidents);
    return { awaitingApproval: [...awaiting.values()], openAnomalyIncidents: [...open].map(([target, n]) => ({ target, incidents: n })) };
  });
}
