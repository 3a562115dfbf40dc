/**
 * Redacted views: what listings and diffs show instead of configuration values. Pure and workflow-safe as long as
 * the injected keyed hash is (pass `keyring.markerHasher()` from an activity; views are plain data afterwards).
 *
 * A secret becomes `«secret:xxxxxxxx»`: the first 8 hex chars of a keyed hash of (path, type, value). Keyed so the
 * marker cannot be brute-forced back to a short password without the key; deterministic so an unchanged secret
 * keeps its marker and a changed one gets a new one. The path is hashed in so equal secrets under different keys
 * do not reveal that they are equal. 32 bits make a missed change a 1-in-4-billion event per change.
 *
 * Maps: a name-sensitive entry is replaced whole; a value that merely contains a secret (a DSN, a bearer header)
 * keeps its non-secret parts: `postgres://app:«secret:1a2b3c4d»@db/prod`; a token used as a key is replaced inside
 * the path. Text: `key = value`, `key: value` and
 * `key value;` lines (also commented out) with a sensitive key lose the value; token patterns are replaced
 * wherever they appear; PEM private key bodies collapse to one marker line between their BEGIN/END lines.
 */
import { classify, DEFAULT_SENSITIVE_KEYS, findSensitiveSpans, sensitiveNameMatch, type SensitiveSpan } from './sensitive.js';
import type { ParseResult } from './formats.js';
import type { ConfigFormat, FlatMap, FlatValue, MapView, RedactedView, TextView } from './types.js';

export const SECRET_MARKER_PATTERN = /«secret:[0-9a-f]{8}»/;
const MARKER_HEX_CHARS = 8;

export function isSecretMarker(value: unknown): boolean {
  return typeof value === 'string' && SECRET_MARKER_PATTERN.test(value);
}

export interface RedactorOptions {
  /** Keyed hash (hex, at least 8 chars) of its input, e.g. `keyring.markerHasher()`. */
  keyedHash: (input: string) => string;
  /** Recorded in every view so diffs can tell markers from different keys apart. */
  hashKeyId?: string | null;
  /** Configured `sensitive_keys`; the built-in list in sensitive.ts always applies too. */
  sensitiveKeys?: readonly string[];
}

export interface MapRedactionOptions {
  format?: ConfigFormat;
  warnings?: readonly string[];
  /** Leave sensitive values readable (application configs with `encryptSensitive: false`). */
  keepSecrets?: boolean;
}

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_END = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
/** indent/comment, key (bare or quoted), separator; `splitKeyValueLine` splits the rest into value and tail. */
const KEY_VALUE_HEAD = /^(\s*(?:(?:#+|;+|\/\/)\s*)?(?:export\s+)?)("[^"]*"|'[^']*'|[A-Za-z_][A-Za-z0-9_.[\]-]*)(\s*[=:]\s*|\s+)/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const BLANK = /\s/;
/**
 * A value that opens a nested block (YAML section or block scalar, JSON object/array): the deeper-indented lines
 * that follow belong to the sensitive key and are hidden whole.
 */
const OPENS_BLOCK = /^(?:[|>][-+0-9]*|[{[])?$/;

interface LineResult {
  text: string;
  /** Set when the line is a sensitive key whose value continues on deeper-indented lines. */
  hidesBlockDeeperThan?: number;
}

export class Redactor {
  readonly hashKeyId: string | null;
  readonly sensitiveKeys: readonly string[];
  private readonly keyedHash: (input: string) => string;

  constructor(options: RedactorOptions) {
    this.keyedHash = options.keyedHash;
    this.hashKeyId = options.hashKeyId ?? null;
    this.sensitiveKeys = options.sensitiveKeys ?? DEFAULT_SENSITIVE_KEYS;
  }

  /** The marker that stands for `value` at `path`. */
  marker(path: string, value: FlatValue): string {
    const digest = this.keyedHash(`secret-marker/v1\u0000${path}\u0000${typeof value}:${String(value)}`);
    if (!/^[0-9a-f]{8}/.test(digest)) throw new Error('keyedHash must return lower-case hex of at least 8 chars');
    return `«secret:${digest.slice(0, MARKER_HEX_CHARS)}»`;
  }

  redactMap(entries: FlatMap, options: MapRedactionOptions = {}): MapView {
    const out = Object.create(null) as FlatMap;
    const secretKeys: string[] = [];
    for (const [rawPath, value] of Object.entries(entries)) {
      // A token used as a map key (`tokens: {ghp_...: ci}`) would otherwise be shown as part of the path.
      const path = options.keepSecrets ? rawPath : this.redactPathSpans(rawPath);
      const classification = classify(rawPath, value, this.sensitiveKeys);
      if (!classification.sensitive) {
        out[path] = value;
        if (path !== rawPath) secretKeys.push(path);
        continue;
      }
      secretKeys.push(path);
      if (options.keepSecrets) out[path] = value;
      else if (classification.reasons.some((reason) => reason.by === 'name')) out[path] = this.marker(path, value);
      else out[path] = this.redactSpans(path, String(value));
    }
    const warnings = [...(options.warnings ?? [])];
    if (options.keepSecrets && secretKeys.length > 0) {
      warnings.push(`encryptSensitive is off: ${secretKeys.length} sensitive value(s) are shown unredacted`);
    }
    return { kind: 'map', format: options.format ?? 'json', hashKeyId: this.hashKeyId, entries: out, secretKeys, warnings };
  }

  redactText(text: string, options: { format?: ConfigFormat; warnings?: readonly string[] } = {}): TextView {
    const lines = text.split(/\r?\n/);
    const out: string[] = [];
    const secretLines: number[] = [];
    let hiddenBlock: { key: string; deeperThan: number } | null = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (hiddenBlock && line.trim() !== '') {
        const indent = indentationOf(line);
        if (indent > hiddenBlock.deeperThan) {
          secretLines.push(out.length);
          out.push(line.slice(0, indent) + this.marker(hiddenBlock.key, line.slice(indent)));
          continue;
        }
        hiddenBlock = null;
      }
      if (PEM_BEGIN.test(line)) {
        i = this.collapsePemBlock(lines, i, out, secretLines);
        continue;
      }
      const result = this.redactLine(line);
      if (result.hidesBlockDeeperThan !== undefined) {
        hiddenBlock = { key: `block:${line.trim()}`, deeperThan: result.hidesBlockDeeperThan };
      }
      if (result.text !== line) secretLines.push(out.length);
      out.push(result.text);
    }
    return {
      kind: 'text',
      format: options.format ?? 'text',
      hashKeyId: this.hashKeyId,
      lines: out,
      secretLines,
      warnings: [...(options.warnings ?? [])],
    };
  }

  /** The view for a parse result (maps stay maps, text and parse fallbacks become text views). */
  redactParsed(parsed: ParseResult, extraWarnings: readonly string[] = []): RedactedView {
    const warnings = [...extraWarnings, ...parsed.warnings];
    return parsed.kind === 'map'
      ? this.redactMap(parsed.entries, { format: parsed.format, warnings })
      : this.redactText(parsed.text, { format: 'text', warnings });
  }

  private redactPathSpans(path: string): string {
    const spans = findSensitiveSpans(path);
    return spans.length === 0 ? path : this.replaceSpans('path', path, spans);
  }

  /** Replaces the secret parts of a value; a private key, or a secret no span pinpoints, hides it whole. */
  private redactSpans(path: string, value: string): string {
    const spans = findSensitiveSpans(value);
    if (spans.length === 0 || spans.some((span) => span.rule === 'pem-private-key')) return this.marker(path, value);
    return this.replaceSpans(path, value, spans);
  }

  private replaceSpans(path: string, value: string, spans: readonly SensitiveSpan[]): string {
    let result = '';
    let cursor = 0;
    for (const span of spans) {
      result += value.slice(cursor, span.start) + this.marker(`${path}#${span.rule}`, value.slice(span.start, span.end));
      cursor = span.end;
    }
    return result + value.slice(cursor);
  }

  private redactLine(line: string): LineResult {
    const match = splitKeyValueLine(line);
    if (match) {
      const [lead, quotedKey, separator, value, tail] = match;
      const key = /^["']/.test(quotedKey) ? quotedKey.slice(1, -1) : quotedKey;
      if (sensitiveNameMatch(key, this.sensitiveKeys) !== null) {
        if (OPENS_BLOCK.test(value)) {
          return { text: line, hidesBlockDeeperThan: indentationOf(line) };
        }
        const quote = /^(["'`])(.*)\1$/.exec(value);
        const hidden = this.marker(key, quote ? quote[2]! : value);
        return { text: `${lead}${quotedKey}${separator}${quote ? `${quote[1]}${hidden}${quote[1]}` : hidden}${tail}` };
      }
    }
    const spans = findSensitiveSpans(line);
    return { text: spans.length === 0 ? line : this.replaceSpans(match?.[1] ?? 'text', line, spans) };
  }

  /** Emits BEGIN line, one marker line for the body, END line; returns the index of the last consumed line. */
  private collapsePemBlock(lines: readonly string[], begin: number, out: string[], secretLines: number[]): number {
    let end = begin + 1;
    while (end < lines.length && !PEM_END.test(lines[end]!)) end++;
    const beginLine = lines[begin]!;
    const headerEnd = beginLine.search(PEM_BEGIN) + (PEM_BEGIN.exec(beginLine)?.[0].length ?? 0);
    const body = [beginLine.slice(headerEnd), ...lines.slice(begin + 1, end)].join('\n');
    out.push(beginLine.slice(0, headerEnd));
    secretLines.push(out.length);
    out.push(this.marker('pem-private-key', body));
    if (end < lines.length) out.push(lines[end]!);
    return end;
  }
}

/**
 * A `key = value;` line as [lead, key, separator, value, tail]: what `^(lead)(key)(sep)(.*?)(\s*[;,]?\s*)$` matches,
 * without that pattern's backtracking, which is cubic in a run of blanks inside the value (a 4,000-space line took
 * 30 s). The tail is the longest suffix of blanks, at most one `;` or `,`, blanks; the value holds no line break.
 */
export function splitKeyValueLine(line: string): [lead: string, key: string, separator: string, value: string, tail: string] | null {
  const head = KEY_VALUE_HEAD.exec(line);
  if (!head) return null;
  const rest = line.slice(head[0].length);
  let end = rest.length;
  while (end > 0 && BLANK.test(rest[end - 1]!)) end--;
  if (end > 0 && (rest[end - 1] === ';' || rest[end - 1] === ',')) {
    end--;
    while (end > 0 && BLANK.test(rest[end - 1]!)) end--;
  }
  const value = rest.slice(0, end);
  if (LINE_TERMINATOR.test(value)) return null;
  return [head[1]!, head[2]!, head[3]!, value, rest.slice(end)];
}

function indentationOf(line: string): number {
  return /^\s*/.exec(line)![0].length;
}
