/**
 * Redacted views as stored rows: serialised once (JSON text), addressed by the SHA-256 of that text. The same code
 * runs inline and inside the parse worker threads (view-worker.ts), so both produce byte-identical views.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_SENSITIVE_KEYS } from '../../../domain/config-backup/sensitive.js';
import { decodeText, parseConfig } from '../../../domain/config-backup/formats.js';
import type { Redactor } from '../../../domain/config-backup/redact.js';
import type { ConfigFormat, RedactedView } from '../../../domain/config-backup/types.js';

export interface SerializedView {
  hash: string;
  kind: 'map' | 'text';
  /** What the view was built from (`text` also for a file that did not parse). */
  format: ConfigFormat;
  hashKeyId: string | null;
  json: string;
  secretCount: number;
  warningCount: number;
}

export function serializeView(view: RedactedView): SerializedView {
  const json = JSON.stringify(view);
  return {
    hash: createHash('sha256').update(json).digest('hex'),
    kind: view.kind,
    format: view.format,
    hashKeyId: view.hashKeyId,
    json,
    secretCount: view.kind === 'map' ? view.secretKeys.length : view.secretLines.length,
    warningCount: view.warnings.length,
  };
}

/** Parses a file's bytes as `format` (falling back to text with a warning) and redacts it. */
export function buildFileView(redactor: Redactor, bytes: Uint8Array, format: ConfigFormat): SerializedView {
  const decoded = decodeText(bytes);
  return serializeView(redactor.redactParsed(parseConfig(decoded.text, format), decoded.warnings));
}

/** The names treated as secrets: the defaults plus the caller's extras (built-in names always apply as well). */
export function effectiveSensitiveKeys(extra: readonly string[] = []): string[] {
  return [...new Set([...DEFAULT_SENSITIVE_KEYS, ...extra.map((key) => key.trim()).filter((key) => key !== '')])];
}

/**
 * Fingerprint of a redaction setup: views built with another sensitive-key list differ, so an unchanged file must
 * get a fresh view when the list changes. Bump the version when redaction rules change.
 */
export function redactionProfile(sensitiveKeys: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: 2, keys: [...sensitiveKeys].sort() }))
    .digest('hex')
    .slice(0, 16);
}
