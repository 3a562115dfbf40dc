/**
 * How log lines reach a person or a machine. pino writes one JSON object per line; for a terminal (the CLI,
 * `npm start`) each line is rewritten as `level: message key=value ...`. This is a plain synchronous destination, not
 * a pino transport: transports run in a worker thread (lost lines on a quick CLI exit, one more thread per
 * process) and pino-pretty is not a dependency; the logs here are low-volume, so re-parsing each line is cheap.
 */
export type LogFormat = 'text' | 'json';

export const LOG_FORMAT_ENV = 'SENTINEL_LOG_FORMAT';
const FORMATS: readonly LogFormat[] = ['text', 'json'];

/**
 * The format of the shared logger's stderr lines (platform/logger.ts reads it per line): JSON by default, text once an
 * entry point for people (the CLI, `npm start`) chooses it. Kept here, not in logger.ts, so that choosing it does not
 * load pino: a CLI command that logs nothing never pays for it.
 */
let stderrFormat: LogFormat = process.env.SENTINEL_LOG_FORMAT?.trim().toLowerCase() === 'text' ? 'text' : 'json';

export function setLogFormat(format: LogFormat): void {
  stderrFormat = format;
}

export function currentLogFormat(): LogFormat {
  return stderrFormat;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
// Shown elsewhere in the line (level, msg) or noise for a person (the process's own pid, the logger's name, time).
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/** One pino JSON line as `level: msg key=value ...`; a line that is not a JSON object is passed through. */
export function formatLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return `${line.trimEnd()}\n`;
  const r = record as Record<string, unknown>;
  const level = typeof r.level === 'number' ? (LEVELS[r.level] ?? String(r.level)) : String(r.level ?? 'info');
  const fields = Object.entries(r)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${[`${level}:`, typeof r.msg === 'string' ? r.msg : '', ...fields].filter(Boolean).join(' ')}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value !== '' && !/[\s"=]/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

export type LogFormatChoice = { ok: true; format: LogFormat } | { ok: false; problem: string };

/** `--log-format FORMAT` (or `=FORMAT`) in argv, else SENTINEL_LOG_FORMAT, else `fallback`; anything else is refused. */
export function logFormatFrom(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, fallback: LogFormat): LogFormatChoice {
  let raw: string | undefined;
  let source = '--log-format';
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--log-format') raw = args[i + 1] ?? '';
    else if (arg.startsWith('--log-format=')) raw = arg.slice('--log-format='.length);
  }
  if (raw === undefined && env[LOG_FORMAT_ENV] !== undefined && env[LOG_FORMAT_ENV] !== '') {
    raw = env[LOG_FORMAT_ENV];
    source = LOG_FORMAT_ENV;
  }
  if (raw === undefined) return { ok: true, format: fallback };
  const format = raw.trim().toLowerCase();
  return (FORMATS as readonly string[]).includes(format)
    ? { ok: true, format: format as LogFormat }
    : { ok: false, problem: `${source} must be "text" or "json" (got "${raw}")` };
}
