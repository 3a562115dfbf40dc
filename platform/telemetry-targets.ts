import type { TargetMetrics } from '../capabilities/freshness/metrics.js';
import { scrapedGauges } from './scraped-gauges.js';

/**
 * Per-target backup gauges (label `target`, the targets of sentinel.yaml), read from PostgreSQL when Prometheus
 * scrapes (platform/scraped-gauges.ts: snapshot reuse, a failed read serves the previous snapshot).
 */
const scraped = scrapedGauges<TargetMetrics[]>([]);

/** Called once by the worker process that serves /metrics. */
export const installTargetMetrics = scraped.install;
const gauge = scraped.gauge;

gauge('sentinel_backup_last_success_timestamp_seconds', 'Start of the newest successful backup of the target (Unix time)', ['target'], (g, ms) => {
  for (const m of ms) if (m.lastSuccessSeconds !== null) g.set({ target: m.target }, m.lastSuccessSeconds);
});
gauge(
  'sentinel_backup_last_attempt_timestamp_seconds',
  'Start of the newest finished backup (completed or failed) of the target (Unix time)',
  ['target'],
  (g, ms) => {
    for (const m of ms) if (m.lastAttemptSeconds !== null) g.set({ target: m.target }, m.lastAttemptSeconds);
  },
);
gauge('sentinel_backup_last_attempt_status', 'Outcome of the newest finished backup: 1 for its status, 0 for the other', ['target', 'status'], (g, ms) => {
  for (const m of ms)
    if (m.lastAttemptStatus !== null)
      for (const status of ['completed', 'failed'] as const) g.set({ target: m.target, status }, m.lastAttemptStatus === status ? 1 : 0);
});
gauge('sentinel_backup_max_age_seconds', "The target's freshness objective (maxAge, or twice its schedule interval)", ['target'], (g, ms) => {
  for (const m of ms) if (m.maxAgeSeconds !== null) g.set({ target: m.target }, m.maxAgeSeconds);
});
gauge('sentinel_backup_stale', '1 when the newest successful backup is older than maxAge (or there is none), else 0', ['target'], (g, ms) => {
  for (const m of ms) if (m.stale !== null) g.set({ target: m.target }, m.stale);
});
gauge('sentinel_backup_retained_bytes', 'Bytes of the completed backups whose artifact Sentinel recorded for the target', ['target'], (g, ms) => {
  for (const m of ms) g.set({ target: m.target }, m.retainedBytes);
});
gauge('sentinel_incidents_open', 'Open incidents of the target, by kind (anomaly, anomaly-drift, stale-backup)', ['target', 'kind'], (g, ms) => {
  for (const m of ms) for (const [kind, count] of Object.entries(m.openIncidents)) g.set({ target: m.target, kind }, count);
});
gauge('sentinel_gate_awaiting_approval', 'Pre-backup runs of the target waiting for a human decision', ['target'], (g, ms) => {
  for (const m of ms) g.set({ target: m.target }, m.awaitingApproval);
});
gauge(
  'sentinel_gate_awaiting_approval_oldest_seconds',
  'How long the oldest run of the target waiting for a human decision has waited',
  ['target'],
  (g, ms) => {
    for (const m of ms) if (m.awaitingApprovalOldestSeconds !== null) g.set({ target: m.target }, m.awaitingApprovalOldestSeconds);
  },
);
