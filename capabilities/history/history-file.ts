/**
 * Reading and writing backup-history files: CSV (header row, RFC 4180 quoting) or JSON Lines (one object per
 * line), chosen by the file extension. Records are streamed with their line number so a bad row can be reported
 * precisely and skipped without stopping the good ones; row validation itself is domain/models/history-row.ts.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import type { BackupRunRecord } from '../../domain/history/types.js';
import { HISTORY_COLUMNS, historyRowOf, missingRequiredColumns, unknownColumns } from '../../domain/models/history-row.js';

export type HistoryFormat = 'csv' | 'jsonl';

export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

/** `.csv` is CSV; `.jsonl`, `.ndjson` and `.json` (one object per line) are JSON Lines. */
export function historyFormatOf(file: string): HistoryFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new HistoryFileError(`${file}: unknown history format "${ext || '(no extension)'}"; use .csv or .jsonl`);
}

export type HistoryRecord = { line: number; values: Record<string, unknown>; error?: undefined } | { line: number; values?: undefined; error: string };

export interface HistoryReadOptions {
  /** Called with the bytes consumed so far, for progress bars. */
  onBytes?: (bytes: number) => void;
  /** Called once with the header's unknown columns (CSV) before the first record. */
  onUnknownColumns?: (columns: string[]) => void;
}

/** Records of a history file with their (first) line number; malformed lines come back as `{ line, error }`. */
export async function* readHistoryFile(file: string, options: HistoryReadOptions = {}): AsyncGenerator<HistoryRecord> {
  const format = historyFormatOf(file);
  await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new HistoryFileError(`${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  const stream = createReadStream(file);
  let bytes = 0;
  if (options.onBytes) {
    const report = options.onBytes;
    stream.on('data', (chunk) => {
      bytes += chunk.length;
      report(bytes);
    });
  }
  yield* format === 'csv' ? readCsv(stream, options) : readJsonLines(stream);
}

export async function* readJsonLines(stream: Readable): AsyncGenerator<HistoryRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    const trimmed = text.trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      yield { line, error: `not valid JSON${trimmed.length > 60 ? '' : `: ${trimmed}`}` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line, error: 'not a JSON object' };
      continue;
    }
    yield { line, values: value as Record<string, unknown> };
  }
}

/** Lines a quoted field may span before the record is given up as an unclosed quote. */
const MAX_RECORD_LINES = 50;

/**
 * Splits one CSV record (RFC 4180: fields quoted with ", "" inside quotes) into fields. `open` is true when the
 * text ends inside a quoted field (the record continues on the next line). Quotes that do not follow the rules (a
 * quote inside an unquoted field, text after a closing quote) are kept as characters, as spreadsheets write them.
 */
export function splitCsvRecord(text: string): { fields: string[]; open: boolean } {
  if (!text.includes('"')) return { fields: text.split(','), open: false };
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      atStart = true;
      continue;
    } else if (c === '"' && atStart) quoted = true;
    else field += c;
    atStart = false;
  }
  fields.push(field);
  return { fields, open: quoted };
}

/**
 * CSV records with the line each starts on. A hand-written reader (line splitting by readline, a fast path for
 * lines without quotes) because csv-parse, with line tracking, cost more than the whole database insert of an
 * import; a field quoted over several lines is joined with "\n".
 */
export async function* readCsv(stream: Readable, options: Pick<HistoryReadOptions, 'onUnknownColumns'> = {}): AsyncGenerator<HistoryRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: string[] | null = null;
  let lineNo = 0;
  // Lines given back after an unclosed quote was abandoned: read again as records of their own.
  const replay: { line: number; text: string }[] = [];
  let pending: { line: number; texts: string[] } | null = null;
  const iterator = lines[Symbol.asyncIterator]();
  const next = async (): Promise<{ line: number; text: string } | null> => {
    const again = replay.shift();
    if (again) return again;
    const r = await iterator.next();
    if (r.done) return null;
    lineNo++;
    let text = r.value;
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { line: lineNo, text };
  };

  for (;;) {
    const item = await next();
    if (item === null && pending === null) break;
    let record: { line: number; fields: string[] };
    if (item === null || pending !== null) {
      if (item !== null) (pending as { texts: string[] }).texts.push(item.text);
      const current = pending as { line: number; texts: string[] };
      const split = splitCsvRecord(current.texts.join('\n'));
      if (split.open && item !== null && current.texts.length < MAX_RECORD_LINES) continue;
      pending = null;
      if (split.open) {
        yield { line: current.line, error: 'unclosed quote: the record never ends (read again from the next line)' };
        current.texts.slice(1).forEach((text, k) => replay.push({ line: current.line + 1 + k, text }));
        continue;
      }
      record = { line: current.line, fields: split.fields };
    } else {
      if (item.text.trim() === '') continue;
      const split = splitCsvRecord(item.text);
      if (split.open) {
        pending = { line: item.line, texts: [item.text] };
        continue;
      }
      record = { line: item.line, fields: split.fields };
    }

    if (header === null) {
      header = record.fields.map((h) => h.trim().toLowerCase());
      const missing = missingRequiredColumns(header);
      if (missing.length > 0) {
        throw new HistoryFileError(
          `CSV header (line ${record.line}) lacks the required column(s) ${missing.join(', ')}; expected ${HISTORY_COLUMNS.slice(0, 6).join(',')}[,optional columns]`,
        );
      }
      const unknown = unknownColumns(header);
      if (unknown.length > 0) options.onUnknownColumns?.(unknown);
      continue;
    }
    if (record.fields.length !== header.length) {
      yield { line: record.line, error: `expected ${header.length} fields like the header, found ${record.fields.length}` };
      continue;
    }
    const values: Record<string, unknown> = {};
    for (let k = 0; k < header.length; k++) values[header[k] as string] = record.fields[k];
    yield { line: record.line, values };
  }
  if (header === null) throw new HistoryFileError('the CSV file is empty (no header row)');
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Writes runs as a history file (format from the extension); returns the number of rows written. */
export async function writeHistoryFile(file: string, runs: Iterable<BackupRunRecord>): Promise<number> {
  const format = historyFormatOf(file);
  const out = createWriteStream(file);
  const closed = once(out, 'close');
  let count = 0;
  try {
    if (format === 'csv') await write(out, `${HISTORY_COLUMNS.join(',')}\n`);
    let buffer = '';
    for (const run of runs) {
      const row = historyRowOf(run);
      buffer += format === 'csv' ? `${HISTORY_COLUMNS.map((c) => csvCell(row[c])).join(',')}\n` : `${JSON.stringify(row)}\n`;
      count++;
      if (buffer.length > 1 << 20) {
        await write(out, buffer);
        buffer = '';
      }
    }
    await write(out, buffer);
  } finally {
    out.end();
    await closed;
  }
  return count;
}
