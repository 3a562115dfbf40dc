/**
 * Backup-history import under hostile input: one row (parseHistoryRow) with any values, ISO dates, the CSV record
 * splitter, and whole CSV / JSON Lines streams and files of random bytes, invalid UTF-8, BOMs, unclosed quotes,
 * 5 MB lines and 10,000-level JSON. A bad row comes back as `{ line, error }` (or `{ ok: false, reason }`) and
 * never stops the good ones; only a file that cannot be history at all (no header, unknown extension, missing)
 * throws, and then a HistoryFileError.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_COLUMNS, HISTORY_LIMITS, parseHistoryRow, parseIsoInstant } from '../../../domain/models/history-row.js';
import { HistoryFileError, readCsv, readHistoryFile, readJsonLines, splitCsvRecord, type HistoryRecord } from '../../../capabilities/history/history-file.js';
import { anyText, anyValue, hugeLine, invalidUtf8, nestedJsonText, randomBytes, structuredButWrong, tokenSoup, withBom } from './arbitraries.js';
import { DEEP_NESTING, PER_HUGE_INPUT_MS, RUNS_CHEAP, RUNS_FILES, RUNS_HUGE, RUNS_MEDIUM } from './budgets.js';
import { assertClearMessage, expectClearOutcomeAsync, expectNoThrow, hostileParameters } from './expect-clear-error.js';

const NOW = new Date(Date.UTC(2026, 5, 1));
const HEADER = HISTORY_COLUMNS.join(',');

const plausibleRow = {
  backup_id: fc.oneof(fc.uuid(), anyText(20), fc.constant('x'.repeat(300))),
  target: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/), anyText(10)),
  started_at: fc.oneof(
    fc.date({ min: new Date(Date.UTC(1985, 0, 1)), max: new Date(Date.UTC(2027, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.stringMatching(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$/),
    anyText(25),
  ),
  status: fc.constantFrom('completed', 'failed', 'COMPLETED', ' failed ', 'running', ''),
  duration_seconds: fc.oneof(fc.double(), fc.double().map(String), fc.constantFrom('1e3', '0x10', ' 12 ', '', 'NaN', '-0')),
  size_bytes: fc.oneof(fc.double(), fc.integer().map(String), fc.constantFrom('9007199254740993', '1.5', '-1')),
  database_size_gb: fc.double(),
  free_space_gb: fc.double(),
  estimated_duration: fc.double(),
  estimated_size: fc.double(),
  error_message: fc.oneof(anyText(50), fc.constant('e'.repeat(5_000))),
  hour_of_day: fc.integer({ min: -2, max: 30 }),
  day_of_week: fc.oneof(fc.integer({ min: -1, max: 8 }), fc.constant('3')),
  previous_success_rate: fc.double({ min: -0.5, max: 1.5 }),
};

function assertRowOutcome(raw: Record<string, unknown>): void {
  const result = expectNoThrow(() => parseHistoryRow(raw, NOW));
  if (!result.ok) {
    assertClearMessage(result.reason, 'reason');
    return;
  }
  const run = result.run;
  expect(run.target).toMatch(/^[a-z0-9][a-z0-9._-]{0,62}$/i);
  expect(['completed', 'failed']).toContain(run.status);
  expect(run.backupId.length).toBeLessThanOrEqual(HISTORY_LIMITS.maxBackupIdLength);
  expect(run.startedAt.getTime()).toBeGreaterThanOrEqual(HISTORY_LIMITS.earliestStart);
  expect(run.startedAt.getTime()).toBeLessThanOrEqual(NOW.getTime() + HISTORY_LIMITS.futureToleranceMs);
  expect(run.durationSeconds >= 0 && run.durationSeconds <= HISTORY_LIMITS.maxDurationSeconds).toBe(true);
  expect(Number.isSafeInteger(run.sizeBytes) && run.sizeBytes >= 0).toBe(true);
  expect(run.hourOfDay >= 0 && run.hourOfDay <= 23 && run.dayOfWeek >= 0 && run.dayOfWeek <= 6).toBe(true);
  expect((run.errorMessage ?? '').length).toBeLessThanOrEqual(HISTORY_LIMITS.maxErrorMessageLength);
}

describe('parseHistoryRow', () => {
  it(`answers a run within the limits or one clear reason, for rows of any values (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...HISTORY_COLUMNS, '__proto__', 'extra'), anyValue(), { maxKeys: 16 }), (raw) => assertRowOutcome(raw)),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`and for rows of the right shape with wrong contents (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(structuredButWrong(plausibleRow), (raw) => assertRowOutcome(raw)),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it('keeps reasons short when a cell holds 5 MB (reasons are collected for up to 1,000 bad rows)', () => {
    const row = { backup_id: 'a', target: 'db', started_at: '2026-01-01T00:00:00Z', status: 'completed', duration_seconds: 1, size_bytes: 1 };
    for (const bad of [
      { duration_seconds: 'x'.repeat(5_000_000) },
      { started_at: `1980-01-01T00:00:00.${'0'.repeat(5_000_000)}Z` },
      { started_at: `2999-01-01T00:00:00${' '.repeat(5_000_000)}Z` },
    ]) {
      const result = parseHistoryRow({ ...row, ...bad }, NOW);
      expect(result.ok).toBe(false);
      expect((result as { reason: string }).reason.length).toBeLessThan(200);
    }
  });

  it(`parseIsoInstant gives a finite instant or null for any text (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.oneof(anyText(40), plausibleRow.started_at), (text) => {
        const ms = expectNoThrow(() => parseIsoInstant(text));
        if (ms !== null) expect(Number.isFinite(ms)).toBe(true);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

describe('splitCsvRecord', () => {
  it(`splits any line; a record it closes joins back to the line when written with RFC 4180 quoting (${RUNS_CHEAP} inputs)`, () => {
    const quote = (field: string) => (/[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
    fc.assert(
      fc.property(fc.array(fc.oneof(anyText(15), tokenSoup(5)), { minLength: 1, maxLength: 8 }), (fields) => {
        const line = fields.map(quote).join(',');
        const split = expectNoThrow(() => splitCsvRecord(line));
        expect(split).toEqual({ fields, open: false });
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

async function drain(records: AsyncGenerator<HistoryRecord>): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

function assertRecords(records: HistoryRecord[]): void {
  let previous = 0;
  for (const record of records) {
    expect(record.line).toBeGreaterThan(previous);
    previous = record.line;
    if (record.error !== undefined) assertClearMessage(record.error, `error of line ${record.line}`);
    else expect(typeof record.values).toBe('object');
  }
}

const streamOf = (bytes: Uint8Array | string) => Readable.from([typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes)]);
const csvBody = fc
  .array(fc.oneof(tokenSoup(20), anyText(40), fc.constant('"unclosed,quote'), fc.constant('a,"b""c",d')), { maxLength: 60 })
  .map((lines) => lines.join('\n'));
const anyBytes = fc.oneof(randomBytes(), invalidUtf8(), withBom(randomBytes(300)));

describe('history streams (readCsv, readJsonLines)', () => {
  it(`CSV: records in line order with clear errors, or a HistoryFileError for a missing header (${RUNS_MEDIUM} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyBytes,
          csvBody.map((body) => `${HEADER}\n${body}`),
          withBom(csvBody.map((body) => new TextEncoder().encode(`${HEADER}\n${body}`))),
        ),
        async (content) => {
          const outcome = await expectClearOutcomeAsync(() => drain(readCsv(streamOf(content))), { accept: [HistoryFileError] });
          if (outcome.ok) assertRecords(outcome.value);
        },
      ),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`JSON Lines: one record or one clear error per non-blank line, never a throw (${RUNS_MEDIUM} inputs)`, async () => {
    const jsonl = fc
      .array(
        fc.oneof(
          fc.json(),
          tokenSoup(10),
          fc.jsonValue().map((v) => JSON.stringify({ backup_id: v })),
        ),
        { maxLength: 40 },
      )
      .map((l) => l.join('\n'));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes, jsonl), async (content) => {
        const outcome = await expectClearOutcomeAsync(() => drain(readJsonLines(streamOf(content))), { accept: [] });
        if (outcome.ok) assertRecords(outcome.value);
      }),
      hostileParameters(RUNS_MEDIUM),
    );
  });

  it(`5 MB lines and ${DEEP_NESTING}-level JSON are rejected rows, not crashes (${RUNS_HUGE} + ${RUNS_HUGE} inputs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hugeLine(), fc.constantFrom(nestedJsonText(DEEP_NESTING, 'array'), `{"backup_id":${nestedJsonText(DEEP_NESTING, 'object')}}`)),
        async (line) => {
          const csv = await expectClearOutcomeAsync(() => drain(readCsv(streamOf(`${HEADER}\n${line}\n${line}`))), {
            accept: [HistoryFileError],
            maxMs: PER_HUGE_INPUT_MS,
          });
          if (csv.ok) assertRecords(csv.value);
          const jsonl = await expectClearOutcomeAsync(() => drain(readJsonLines(streamOf(`${line}\n{}`))), { accept: [], maxMs: PER_HUGE_INPUT_MS });
          if (jsonl.ok) {
            assertRecords(jsonl.value);
            for (const record of jsonl.value) if (record.values) assertRowOutcome(record.values);
          }
        },
      ),
      hostileParameters(RUNS_HUGE * 2, { endOnFailure: true }),
    );
  });

  it('an unclosed quote costs one record, and the lines after it are read again', async () => {
    const records = await drain(
      readCsv(
        streamOf(
          `${HEADER}\n"a,${'x,'.repeat(20)}\n${Array.from({ length: 60 }, (_, i) => `id${i},db,2026-01-01T00:00:00Z,completed,1,1,,,,,,,,`).join('\n')}\n`,
        ),
      ),
    );
    expect(records[0]).toEqual({ line: 2, error: 'unclosed quote: the record never ends (read again from the next line)' });
    expect(records.filter((r) => r.values).length).toBe(60);
  });
});

describe('history files (readHistoryFile)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostile-history-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`reads or refuses any file under any name with a HistoryFileError (${RUNS_FILES} inputs)`, async () => {
    const name = fc.oneof(
      fc.constantFrom('h.csv', 'h.CSV', 'h.jsonl', 'h.ndjson', 'h.json', 'h.txt', 'h', '.csv'),
      anyText(8).map((n) => `${n.replace(/[/\0]/g, '_')}.csv`),
    );
    await fc.assert(
      fc.asyncProperty(
        name,
        fc.oneof(
          anyBytes,
          csvBody.map((body) => `${HEADER}\n${body}`),
        ),
        fc.boolean(),
        async (fileName, content, create) => {
          const file = join(dir, fileName);
          if (create) await writeFile(file, content);
          const outcome = await expectClearOutcomeAsync(() => drain(readHistoryFile(file)), { accept: [HistoryFileError] });
          if (outcome.ok) assertRecords(outcome.value);
          await rm(file, { force: true });
        },
      ),
      hostileParameters(RUNS_FILES),
    );
  });

  it('names a missing file and an unknown extension', async () => {
    await expect(drain(readHistoryFile(join(dir, 'missing.csv')))).rejects.toThrow(/missing\.csv: no such file/);
    await expect(drain(readHistoryFile(join(dir, 'x.xlsx')))).rejects.toThrow(/unknown history format "\.xlsx"/);
  });
});
