/**
 * Backtest of a predictor over a labelled history file (`sentinel model evaluate`): every file row is predicted
 * as live prediction would have predicted it before it started, from the stored history plus the file's rows that
 * finished earlier (the point-in-time rule of the feature pipeline), then scored against its status.
 *
 * Stored copies of the file's own rows must be left out by the caller (same backup_id): otherwise an imported
 * file would see its own outcomes. Rows repeated in the file count once (the first).
 */
import type { BackupRunRecord } from '../history/types.js';
import { buildFeatureTable } from '../ml/features.js';
import { evaluateBinary } from '../ml/metrics.js';
import { selectLabels, selectRows } from '../ml/matrix.js';
import type { FailureModel } from '../ml/model.js';
import type { WindowMetrics } from './contract.js';
import { scoreRunsWithRules } from './rules-scores.js';
import { EVALUATION_THRESHOLD, toWindowMetrics } from './train-candidate.js';

export interface BacktestResult {
  rows: number;
  repeatedInFile: number;
  from: string | null;
  to: string | null;
  /** Metrics of the chosen predictor (the model, or the rules when none is given). */
  metrics: WindowMetrics;
  /** The rules on the same rows, for comparison. */
  rules: WindowMetrics;
}

export function backtest(
  fileRuns: readonly BackupRunRecord[],
  storedRuns: readonly BackupRunRecord[],
  model: FailureModel | null,
  threshold = EVALUATION_THRESHOLD,
): BacktestResult {
  const seen = new Set<string>();
  const unique: BackupRunRecord[] = [];
  for (const run of fileRuns) {
    if (seen.has(run.backupId)) continue;
    seen.add(run.backupId);
    unique.push(run);
  }
  const combined = [...storedRuns.filter((r) => !seen.has(r.backupId)), ...unique];
  const fileIndices = Uint32Array.from(unique, (_, k) => combined.length - unique.length + k);
  const rulesScores = scoreRunsWithRules(combined, { only: fileIndices, threshold });
  const labels = Uint8Array.from(unique, (r) => (r.status === 'failed' ? 1 : 0));
  const rules = toWindowMetrics(evaluateBinary(rulesScores, labels, threshold));
  let metrics = rules;
  if (model) {
    const table = buildFeatureTable(combined);
    const X = selectRows(table.matrix, fileIndices);
    const y = selectLabels(table.labels, fileIndices);
    metrics = toWindowMetrics(evaluateBinary(model.predictBatch(X), y, threshold));
  }
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const r of unique) {
    from = Math.min(from, r.startedAt.getTime());
    to = Math.max(to, r.startedAt.getTime());
  }
  return {
    rows: unique.length,
    repeatedInFile: fileRuns.length - unique.length,
    from: unique.length > 0 ? new Date(from).toISOString() : null,
    to: unique.length > 0 ? new Date(to).toISOString() : null,
    metrics,
    rules,
  };
}
