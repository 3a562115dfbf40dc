/**
 * Application configurations given as data (an app name and an object). Pure: safe in workflow code.
 *
 * The payload is canonical JSON (keys sorted at every level) so an unchanged config always produces the same bytes,
 * hence the same content hash, hence no new payload. The view is the same redacted flat map as for files.
 */
import { flattenConfig } from './flatten.js';
import type { Redactor } from './redact.js';
import type { MapView } from './types.js';

export interface AppConfigOptions {
  /** Redact sensitive values in the view (the payload is always encrypted). Default true. */
  encryptSensitive?: boolean;
}

export interface AppConfigBackup {
  appName: string;
  /** Canonical JSON bytes: the payload to encrypt and store. */
  payload: Uint8Array;
  view: MapView;
}

export function prepareAppConfig(redactor: Redactor, appName: string, config: unknown, options: AppConfigOptions = {}): AppConfigBackup {
  if (appName.trim() === '') throw new RangeError('application name is empty');
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`configuration of app "${appName}" must be an object or array`);
  }
  const payload = new TextEncoder().encode(canonicalJson(config));
  const view = redactor.redactMap(flattenConfig(config), {
    format: 'json',
    keepSecrets: options.encryptSensitive === false,
  });
  return { appName, payload, view };
}

/**
 * Nesting `canonicalJson` accepts: its recursion would otherwise end in a bare "Maximum call stack size exceeded"
 * (from about 2,000 levels) instead of an error naming the app. Far deeper than any real configuration.
 */
export const MAX_APP_CONFIG_DEPTH = 1_000;

/** JSON with object keys sorted; rejects values JSON cannot represent faithfully (cycles, functions, bigints). */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const encode = (item: unknown, path: string): string => {
    if (item === null || typeof item === 'boolean' || typeof item === 'string') return JSON.stringify(item);
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) throw new TypeError(`${path || 'value'} is ${item}, which JSON cannot hold`);
      return JSON.stringify(item);
    }
    if (item instanceof Date) {
      if (Number.isNaN(item.getTime())) throw new TypeError(`${path || 'value'} is an invalid date`);
      return JSON.stringify(item.toISOString());
    }
    if (typeof item !== 'object') throw new TypeError(`${path || 'value'} is a ${typeof item}, which JSON cannot hold`);
    if (seen.has(item)) throw new TypeError(`${path || 'value'} is circular`);
    if (seen.size >= MAX_APP_CONFIG_DEPTH)
      throw new TypeError(`${path.length > 80 ? `${path.slice(0, 80)}...` : path || 'value'} is nested deeper than ${MAX_APP_CONFIG_DEPTH} levels`);
    seen.add(item);
    const encoded = Array.isArray(item)
      ? `[${Array.from(item, (element, index) => encode(element === undefined ? null : element, `${path}[${index}]`)).join(',')}]`
      : `{${Object.keys(item)
          .filter((key) => (item as Record<string, unknown>)[key] !== undefined)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${encode((item as Record<string, unknown>)[key], path ? `${path}.${key}` : key)}`)
          .join(',')}}`;
    seen.delete(item);
    return encoded;
  };
  return encode(value, '');
}
