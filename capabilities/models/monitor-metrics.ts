/**
 * The live quality monitor's figures for Prometheus (platform/telemetry-models.ts turns them into series): the
 * newest stored check (modelMonitorWorkflow, hourly) and the count of automatic rollbacks. Read at scrape time from
 * PostgreSQL, so every worker serves the same values. Labels stay bounded: one active model version, three predictors.
 */
import type pg from 'pg';
import { automaticRollbacks, latestCheck } from '../../db/repositories/model-monitor.js';
import { AUTOMATIC_ROLLBACK_EVENT, type LiveQualityReport } from '../../domain/models/monitor-contract.js';

export interface ModelMonitorMetrics {
  /** Null before the first check, or when no model was active at it. */
  modelVersion: number | null;
  checkedAtSeconds: number | null;
  outcomes: number | null;
  degraded: number | null;
  live: { predictor: 'active' | 'replaced' | 'rules'; prAuc: number | null; brier: number | null }[];
  validationBrier: number | null;
  automaticRollbacks: number;
}

export async function modelMonitorMetricsSnapshot(deps: { db: pg.Pool }): Promise<ModelMonitorMetrics> {
  const [check, rollbacks] = await Promise.all([latestCheck(deps.db), automaticRollbacks(deps.db, AUTOMATIC_ROLLBACK_EVENT)]);
  const report = check?.report as unknown as LiveQualityReport | undefined;
  const j = report?.judgement ?? null;
  const live: ModelMonitorMetrics['live'] = [];
  if (j) {
    live.push({ predictor: 'active', prAuc: j.active.prAuc, brier: j.active.brier });
    if (j.replaced) live.push({ predictor: 'replaced', prAuc: j.replaced.prAuc, brier: j.replaced.brier });
    if (j.rules) live.push({ predictor: 'rules', prAuc: j.rules.prAuc, brier: j.rules.brier });
  }
  return {
    modelVersion: report?.modelVersion ?? null,
    checkedAtSeconds: check ? check.checkedAt.getTime() / 1000 : null,
    outcomes: j ? j.outcomes : null,
    degraded: report && report.modelVersion !== null && j ? (report.verdict === 'degraded' ? 1 : 0) : null,
    live,
    validationBrier: j?.validation?.brier ?? null,
    automaticRollbacks: rollbacks.total,
  };
}
