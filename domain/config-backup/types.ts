/** Shared data shapes of the configuration-backup capability. Pure types: safe to import from workflow code. */

/** Formats the parser understands; anything else is handled as plain text. */
export type ConfigFormat = 'yaml' | 'json' | 'ini' | 'env' | 'toml' | 'text';

/** A scalar leaf of a parsed configuration. Dates, bigints and other exotic values arrive as strings. */
export type FlatValue = string | number | boolean | null;

/**
 * A configuration flattened to leaf paths: `server.port`, `servers[0].host`, `["a.b"].c` (segments that contain
 * `.`, `[`, `]` or `"` are JSON-quoted in brackets so two different structures never flatten to the same key).
 */
export type FlatMap = Record<string, FlatValue>;

/** Source of cryptographically secure random bytes (node:crypto `randomBytes` in production). */
export type RandomBytes = (size: number) => Uint8Array;

/** Fields every redacted view carries. */
interface RedactedViewBase {
  /** The format the view was produced from (`text` also for files that failed to parse). */
  format: ConfigFormat;
  /**
   * Id of the key whose marker key hashed the secrets. Markers are comparable only between views with the same id;
   * after a key rotation every secret gets a new marker although its value did not change.
   */
  hashKeyId: string | null;
  /** Human-readable notes (parse fallback, secrets left visible on request). Never contain values. */
  warnings: string[];
}

/** Redacted view of structured data: secret values replaced by `«secret:xxxxxxxx»` markers. */
export interface MapView extends RedactedViewBase {
  kind: 'map';
  entries: FlatMap;
  /** Keys whose values were classified sensitive (redacted unless the caller switched redaction off). */
  secretKeys: string[];
}

/** Redacted view of a text file: one string per line, secret parts replaced by markers. */
export interface TextView extends RedactedViewBase {
  kind: 'text';
  lines: string[];
  /** 0-based indexes of lines that contained at least one secret. */
  secretLines: number[];
}

export type RedactedView = MapView | TextView;
