import { describe, expect, it } from 'vitest';
import type { pino } from 'pino';
import { formatLogLine, logFormatFrom } from '../../../platform/log-format.js';
import { createLogger } from '../../../platform/logger.js';

describe('formatLogLine', () => {
  it('turns a pino line into `level: msg key=value`, hiding time, pid and name', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-12-03T19:00:00.000Z',
      pid: 42,
      name: 'backup-sentinel',
      msg: 'metrics endpoint not started',
      port: 9464,
      err: 'EADDRINUSE',
    });
    expect(formatLogLine(`${line}\n`)).toBe('warn: metrics endpoint not started port=9464 err=EADDRINUSE\n');
  });

  it('quotes strings with spaces, shows objects as JSON, keeps unknown levels and lines that are not JSON', () => {
    expect(formatLogLine(JSON.stringify({ level: 30, msg: 'worker started', address: '127.0.0.1:7233', note: 'two words', ids: { a: 1 } }))).toBe(
      'info: worker started address=127.0.0.1:7233 note="two words" ids={"a":1}\n',
    );
    expect(formatLogLine(JSON.stringify({ level: 35, msg: 'custom' }))).toBe('35: custom\n');
    expect(formatLogLine('not json')).toBe('not json\n');
    expect(formatLogLine('[1,2]')).toBe('[1,2]\n');
  });

  it('gets lines that pino has already redacted', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l: string) => void lines.push(l) } as unknown as pino.DestinationStream, 'info');
    log.info({ target: { url: 'postgres://u:hunter2@db/x' } }, 'planned');
    const text = formatLogLine(lines[0]!);
    expect(text).toBe('info: planned target={"url":"[redacted]"}\n');
    expect(text).not.toContain('hunter2');
  });
});

describe('logFormatFrom', () => {
  it('--log-format (either spelling) beats SENTINEL_LOG_FORMAT, which beats the fallback', () => {
    expect(logFormatFrom(['node', 'sentinel', 'config', 'list'], {}, 'text')).toEqual({ ok: true, format: 'text' });
    expect(logFormatFrom(['node', 'sentinel'], { SENTINEL_LOG_FORMAT: 'json' }, 'text')).toEqual({ ok: true, format: 'json' });
    expect(logFormatFrom(['node', 'sentinel', '--log-format', 'text'], { SENTINEL_LOG_FORMAT: 'json' }, 'json')).toEqual({ ok: true, format: 'text' });
    expect(logFormatFrom(['node', 'sentinel', 'model', 'list', '--log-format=JSON'], {}, 'text')).toEqual({ ok: true, format: 'json' });
    expect(logFormatFrom(['node', 'sentinel', '--', '--log-format', 'json'], {}, 'text')).toEqual({ ok: true, format: 'text' });
  });

  it('refuses other values, naming where they came from', () => {
    expect(logFormatFrom(['node', 'sentinel', '--log-format', 'xml'], {}, 'text')).toEqual({
      ok: false,
      problem: '--log-format must be "text" or "json" (got "xml")',
    });
    expect(logFormatFrom(['node', 'sentinel'], { SENTINEL_LOG_FORMAT: 'pretty' }, 'text')).toEqual({
      ok: false,
      problem: 'SENTINEL_LOG_FORMAT must be "text" or "json" (got "pretty")',
    });
  });
});
