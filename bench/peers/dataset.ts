/**
 * The feature matrix of bench:peers, built once per data set with the product's own pipeline (the code `model train`
 * runs: buildFeatureTable, then the time split) and written as raw little-endian files that Python reads with numpy:
 *   NAME.json   { rows, columns, trainRows, featureNames, source }   rows 0..trainRows-1 train (oldest first), the rest validate
 *   NAME.X.f64  rows x columns float64, row-major, train rows then validation rows
 *   NAME.y.u8   rows labels (1 = failed)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BackupRunRecord } from '../../domain/history/types.js';
import { buildFeatureTable, FEATURE_NAMES } from '../../domain/ml/features.js';
import { createMatrix, selectLabels, selectRows, type DenseMatrix } from '../../domain/ml/matrix.js';
import { evaluateBinary } from '../../domain/ml/metrics.js';
import { timeSplit } from '../../domain/ml/split.js';

export interface DatasetMeta {
  name: string;
  rows: number;
  columns: number;
  trainRows: number;
  featureNames: readonly string[];
  source: string;
  failures: number;
  validationFailures: number;
  featuresSeconds: number;
  /**
   * The scenario's true failure probabilities scored like a model on the same validation rows (the attainable: no
   * model ranks better in expectation); null for histories without them (the generator sizes).
   */
  truth: { prAuc: number | null; rocAuc: number | null; brier: number | null } | null;
}

export interface Dataset {
  meta: DatasetMeta;
  trainX: DenseMatrix;
  trainY: Uint8Array;
  validX: DenseMatrix;
  validY: Uint8Array;
}

const sum = (y: Uint8Array): number => y.reduce((s, v) => s + v, 0);

/**
 * Features of `runs` in time order, split as training splits them, written under `prefix`. `trueProbability` (one per
 * run, as a scenario emits it) is scored on the validation rows.
 */
export function writeDataset(
  prefix: string,
  name: string,
  source: string,
  runs: readonly BackupRunRecord[],
  trueProbability: ArrayLike<number> | null = null,
): DatasetMeta {
  const started = performance.now();
  const table = buildFeatureTable(runs);
  const split = timeSplit(table.startedAtMs);
  const featuresSeconds = Math.round((performance.now() - started) / 10) / 100;
  const order = new Uint32Array(split.train.length + split.validation.length);
  order.set(split.train, 0);
  order.set(split.validation, split.train.length);
  const X = selectRows(table.matrix, order);
  const y = selectLabels(table.labels, order);
  const meta: DatasetMeta = {
    name,
    rows: X.rowCount,
    columns: X.columnCount,
    trainRows: split.train.length,
    featureNames: FEATURE_NAMES.length === X.columnCount ? FEATURE_NAMES : [],
    source,
    failures: sum(y),
    validationFailures: sum(y.subarray(split.train.length)),
    featuresSeconds,
    truth: null,
  };
  if (trueProbability) {
    // Table rows are the runs in their given order, so the split's row indices index trueProbability too.
    const m = evaluateBinary(
      Float64Array.from(split.validation, (i) => trueProbability[i] as number),
      y.subarray(split.train.length),
    );
    meta.truth = { prAuc: m.prAuc, rocAuc: m.rocAuc, brier: m.brier };
  }
  writeFileSync(`${prefix}.X.f64`, new Uint8Array(X.values.buffer, X.values.byteOffset, X.values.byteLength));
  writeFileSync(`${prefix}.y.u8`, y);
  writeFileSync(`${prefix}.json`, JSON.stringify(meta));
  return meta;
}

export function readDataset(prefix: string): Dataset {
  const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as DatasetMeta;
  const bytes = readFileSync(`${prefix}.X.f64`);
  // Copied into its own (aligned) buffer: a Buffer from readFileSync may sit at any offset of a shared pool.
  const values = new Float64Array(meta.rows * meta.columns);
  new Uint8Array(values.buffer).set(bytes);
  const y = new Uint8Array(readFileSync(`${prefix}.y.u8`));
  const p = meta.columns;
  const t = meta.trainRows;
  return {
    meta,
    trainX: createMatrix(t, p, values.slice(0, t * p)),
    trainY: y.subarray(0, t),
    validX: createMatrix(meta.rows - t, p, values.slice(t * p)),
    validY: y.subarray(t),
  };
}

export function writeScores(path: string, scores: Float64Array): void {
  writeFileSync(path, new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength));
}

export function readScores(path: string): Float64Array {
  const bytes = readFileSync(path);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
