import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { parseHistoryRow } from '../../../domain/models/history-row.js';
import { historyFormatOf, readCsv, readHistoryFile, readJsonLines, writeHistoryFile, type HistoryRecord } from '../../../capabilities/history/history-file.js';

const collect = async (records: AsyncIterable<HistoryRecord>) => {
  const out: HistoryRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
};
const dir = await mkdtemp(path.join(os.tmpdir(), 'history-file-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('history files', () => {
  it('chooses the format by extension', () => {
    expect(historyFormatOf('a/b.CSV')).toBe('csv');
    expect(historyFormatOf('x.jsonl')).toBe('jsonl');
    expect(() => historyFormatOf('x.xlsx')).toThrow(/unknown history format ".xlsx"; use .csv or .jsonl/);
  });

  it('numbers CSV records by the line they start on, across quoted newlines, blank lines and bad quoting', async () => {
    const csv =
      'backup_id,target,started_at,status,duration_seconds,size_bytes,error_message\r\n' +
      'a,t,2026-01-01T00:00:00Z,failed,1,2,"two\nlines"\n\n' +
      'b,t,2026-01-01T01:00:00Z,completed,1,2,bad"quote\n' +
      'c,t\n' +
      'd,t,2026-01-01T02:00:00Z,completed,1,2,\n';
    const records = await collect(readCsv(Readable.from([csv])));
    expect(records.map((r) => [r.line, r.error ?? r.values?.backup_id])).toEqual([
      [2, 'a'],
      [5, 'b'],
      [6, 'expected 7 fields like the header, found 2'],
      [7, 'd'],
    ]);
    expect(records[0]!.values!.error_message).toBe('two\nlines');
  });

  it('stops at once when the CSV header lacks required columns', async () => {
    await expect(collect(readCsv(Readable.from(['backup_id,target\nx,y\n'])))).rejects.toThrow(
      /lacks the required column\(s\) started_at, status, duration_seconds, size_bytes/,
    );
    await expect(collect(readCsv(Readable.from([''])))).rejects.toThrow(/empty/);
  });

  it('reads JSON Lines, reporting lines that are not JSON objects', async () => {
    const text = '{"backup_id":"a"}\n\n[1,2]\n{oops\n  {"backup_id":"b"}  \n';
    expect((await collect(readJsonLines(Readable.from([text])))).map((r) => [r.line, r.error ?? r.values?.backup_id])).toEqual([
      [1, 'a'],
      [3, 'not a JSON object'],
      [4, 'not valid JSON: {oops'],
      [5, 'b'],
    ]);
  });

  it('writes what it reads back, in both formats', async () => {
    const runs = generateHistory({ targets: 2, days: 1, seed: 4 });
    for (const name of ['h.csv', 'h.jsonl']) {
      const file = path.join(dir, name);
      expect(await writeHistoryFile(file, runs)).toBe(runs.length);
      const back = (await collect(readHistoryFile(file))).map((r) => parseHistoryRow(r.values!, new Date('2030-01-01')));
      expect(back.map((r) => (r.ok ? r.run : r.reason))).toEqual(
        runs.map((run) => ({
          ...run,
          databaseSizeGb: run.databaseSizeGb ?? null,
          freeSpaceGb: run.freeSpaceGb ?? null,
          estimatedDuration: run.estimatedDuration ?? null,
          estimatedSize: run.estimatedSize ?? null,
          errorMessage: run.errorMessage ?? null,
          hourOfDay: run.startedAt.getUTCHours(),
          dayOfWeek: run.startedAt.getUTCDay(),
          previousSuccessRate: null,
        })),
      );
    }
    expect((await readFile(path.join(dir, 'h.csv'), 'utf8')).split('\n')[0]).toBe(
      'backup_id,target,started_at,status,duration_seconds,size_bytes,database_size_gb,free_space_gb,estimated_duration,estimated_size,error_message,hour_of_day,day_of_week,previous_success_rate',
    );
  });
});

describe('CSV records', () => {
  it('split like RFC 4180, keeping stray quotes as text', async () => {
    const { splitCsvRecord } = await import('../../../capabilities/history/history-file.js');
    expect(splitCsvRecord('a,"b,c","d ""e""",')).toEqual({ fields: ['a', 'b,c', 'd "e"', ''], open: false });
    expect(splitCsvRecord('a,b"c,"d"x')).toEqual({ fields: ['a', 'b"c', 'dx'], open: false });
    expect(splitCsvRecord('a,"open')).toEqual({ fields: ['a', 'open'], open: true });
  });

  it('give up an unclosed quote after 50 lines and read the lines after it again', async () => {
    const header = 'backup_id,target,started_at,status,duration_seconds,size_bytes,error_message\n';
    const body = `x,t,2026-01-01T00:00:00Z,failed,1,2,"never closed\n${Array.from({ length: 60 }, (_, k) => `r${k},t,2026-01-01T01:00:00Z,completed,1,2,`).join('\n')}`;
    const records = await collect(readCsv(Readable.from([header + body])));
    expect(records[0]).toEqual({ line: 2, error: 'unclosed quote: the record never ends (read again from the next line)' });
    expect(records.slice(1).map((r) => r.values?.backup_id)).toEqual(Array.from({ length: 60 }, (_, k) => `r${k}`));
    expect(records[1]!.line).toBe(3);
    expect(records.at(-1)!.line).toBe(62);
  });
});
