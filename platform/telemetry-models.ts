import type { ModelMonitorMetrics } from '../capabilities/models/monitor-metrics.js';
import { scrapedGauges } from './scraped-gauges.js';

/**
 * Gauges of the failure model's live quality (docs/models.md, "Live monitoring and automatic rollback"), read from
 * the newest check in PostgreSQL when Prometheus scrapes (platform/scraped-gauges.ts: snapshot reuse, a failed read
 * serves the previous snapshot). Labels: `model_version` (the one active model at the check) and
 * `predictor` (active, replaced, rules): bounded. Not per target: a target's few live outcomes judge nothing.
 */
const NONE: ModelMonitorMetrics = {
  modelVersion: null,
  checkedAtSeconds: null,
  outcomes: null,
  degraded: null,
  live: [],
  validationBrier: null,
  automaticRollbacks: 0,
};

const scraped = scrapedGauges<ModelMonitorMetrics>(NONE);

/** Called once by the worker process that serves /metrics. */
export const installModelMonitorMetrics = scraped.install;
const gauge = scraped.gauge;
const version = (m: ModelMonitorMetrics) => String(m.modelVersion);

gauge(
  'sentinel_model_live_pr_auc',
  'PR-AUC on the live window of the active model, and of the replaced model and the rules on the same runs',
  ['model_version', 'predictor'],
  (g, m) => {
    if (m.modelVersion === null) return;
    for (const p of m.live) if (p.prAuc !== null) g.set({ model_version: version(m), predictor: p.predictor }, p.prAuc);
  },
);
gauge(
  'sentinel_model_live_brier',
  'Brier score on the live window of the active model, and of the replaced model and the rules on the same runs',
  ['model_version', 'predictor'],
  (g, m) => {
    if (m.modelVersion === null) return;
    for (const p of m.live) if (p.brier !== null) g.set({ model_version: version(m), predictor: p.predictor }, p.brier);
  },
);
gauge('sentinel_model_validation_brier', "The active model's Brier score on its validation window at training", ['model_version'], (g, m) => {
  if (m.modelVersion !== null && m.validationBrier !== null) g.set({ model_version: version(m) }, m.validationBrier);
});
gauge('sentinel_model_live_outcomes', 'Live outcomes (finished runs it predicted) in the monitor window of the active model', ['model_version'], (g, m) => {
  if (m.modelVersion !== null && m.outcomes !== null) g.set({ model_version: version(m) }, m.outcomes);
});
gauge('sentinel_model_degraded', '1 when the newest check found the active model degraded, else 0', ['model_version'], (g, m) => {
  if (m.modelVersion !== null && m.degraded !== null) g.set({ model_version: version(m) }, m.degraded);
});
gauge('sentinel_model_monitor_last_check_timestamp_seconds', 'When the live quality monitor last checked (Unix time)', [], (g, m) => {
  if (m.checkedAtSeconds !== null) g.set(m.checkedAtSeconds);
});
gauge(
  'sentinel_model_automatic_rollbacks',
  'Automatic rollbacks started by the live quality monitor, ever (from the audit trail; never decreases)',
  [],
  (g, m) => {
    g.set(m.automaticRollbacks);
  },
);
