/**
 * `sentinel history import`: streams a history file, validates each row (domain/models/history-row.ts) and
 * bulk-inserts the good ones into `backup_runs` in batches of multi-row INSERT ... ON CONFLICT DO NOTHING, two
 * batches in flight while the next one is parsed. Bad rows are collected with their line number and reason and
 * never stop the good ones; rows whose backup_id is already stored (or repeated in the file) with the same content
 * count as duplicates, so importing the same file twice changes nothing, and those whose content differs are
 * conflicts: not stored, and reported with their IDs (a second history that reuses another's IDs).
 */
import { stat } from 'node:fs/promises';
import type pg from 'pg';
import { insertImportedRuns, type ImportedBatchResult } from '../../db/repositories/history.js';
import { parseHistoryRow, type ImportedRun } from '../../domain/models/history-row.js';
import { historyFormatOf, readHistoryFile, type HistoryFormat } from './history-file.js';

export interface ImportProblem {
  line: number;
  reason: string;
}

export interface ImportReport {
  file: string;
  format: HistoryFormat;
  /** Data rows read (good and bad). */
  rows: number;
  inserted: number;
  /** Good rows whose backup_id was already stored or appeared earlier in the file, with the same content. */
  duplicates: number;
  /** Good rows not stored because their backup_id is stored (or earlier in the file) with different content. */
  conflicts: number;
  /** The first `maxConflictIds` of them, in file order of their batches. */
  conflictIds: string[];
  rejected: number;
  /** The first `maxErrors` rejected rows, in file order. */
  errors: ImportProblem[];
  errorsTruncated: boolean;
  /** Header columns that are not history columns (ignored). */
  ignoredColumns: string[];
  /** Targets of the good rows. */
  targets: string[];
  /** Of those, the ones sentinel.yaml does not declare (imported anyway); null when no configuration was given. */
  unknownTargets: string[] | null;
  seconds: number;
  rowsPerSecond: number;
}

export interface ImportOptions {
  now?: Date;
  batchSize?: number;
  /** Targets sentinel.yaml declares; null when there is no usable configuration. */
  knownTargets?: ReadonlySet<string> | null;
  maxErrors?: number;
  /** How many conflicting backup IDs the report lists (default 100; all are counted). */
  maxConflictIds?: number;
  onProgress?: (progress: { bytes: number; totalBytes: number; rows: number }) => void;
}

const IN_FLIGHT = 2;

/**
 * One batch in its own transaction without waiting for the WAL flush (synchronous_commit off): a crash can lose
 * the last batches' commits but never corrupt anything, and re-running the import restores them (idempotent).
 */
async function insertBatch(db: pg.Pool, batch: ImportedRun[]): Promise<ImportedBatchResult> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL synchronous_commit TO OFF');
    const inserted = await insertImportedRuns(client, batch);
    await client.query('COMMIT');
    return inserted;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function importHistoryFile(db: pg.Pool, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const format = historyFormatOf(file);
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 5000;
  const maxErrors = options.maxErrors ?? 1000;
  const maxConflictIds = options.maxConflictIds ?? 100;
  const totalBytes = (await stat(file).catch(() => ({ size: 0 }))).size;
  const report: ImportReport = {
    file,
    format,
    rows: 0,
    inserted: 0,
    duplicates: 0,
    conflicts: 0,
    conflictIds: [],
    rejected: 0,
    errors: [],
    errorsTruncated: false,
    ignoredColumns: [],
    targets: [],
    unknownTargets: null,
    seconds: 0,
    rowsPerSecond: 0,
  };
  const targets = new Set<string>();
  let bytes = 0;
  let lastReport = 0;
  const progress = () => {
    const at = performance.now();
    if (options.onProgress && at - lastReport > 100) {
      lastReport = at;
      options.onProgress({ bytes, totalBytes, rows: report.rows });
    }
  };

  const inFlight: Promise<void>[] = [];
  const flush = async (batch: ImportedRun[]) => {
    if (batch.length === 0) return;
    const insert = insertBatch(db, batch).then(({ inserted, conflicts }) => {
      report.inserted += inserted;
      report.conflicts += conflicts.length;
      report.duplicates += batch.length - inserted - conflicts.length;
      for (const id of conflicts) if (report.conflictIds.length < maxConflictIds && !report.conflictIds.includes(id)) report.conflictIds.push(id);
    });
    // Handled here so a failing batch is not an unhandled rejection while the next one is parsed; awaited below.
    insert.catch(() => undefined);
    inFlight.push(insert);
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  };

  let batch: ImportedRun[] = [];
  try {
    for await (const record of readHistoryFile(file, {
      onBytes: (b) => {
        bytes = b;
      },
      onUnknownColumns: (columns) => {
        report.ignoredColumns = columns;
      },
    })) {
      report.rows++;
      const parsed = record.error === undefined ? parseHistoryRow(record.values, now) : { ok: false as const, reason: record.error };
      if (!parsed.ok) {
        report.rejected++;
        if (report.errors.length < maxErrors) report.errors.push({ line: record.line, reason: parsed.reason });
        else report.errorsTruncated = true;
      } else {
        targets.add(parsed.run.target);
        batch.push(parsed.run);
        if (batch.length >= batchSize) {
          await flush(batch);
          batch = [];
        }
      }
      if ((report.rows & 1023) === 0) progress();
    }
    await flush(batch);
  } finally {
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);

  report.targets = [...targets].sort();
  report.unknownTargets = options.knownTargets ? report.targets.filter((t) => !options.knownTargets?.has(t)) : null;
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  report.rowsPerSecond = report.seconds > 0 ? Math.round(report.rows / report.seconds) : report.rows;
  options.onProgress?.({ bytes: totalBytes, totalBytes, rows: report.rows });
  return report;
}
