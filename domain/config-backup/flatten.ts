/**
 * Flattens parsed configuration data into `FlatMap` leaf paths. Pure: safe to import from workflow code.
 *
 * Paths: object keys joined with `.`, array items as `[i]`; a key containing `.`, `[`, `]` or `"` (or an empty key)
 * is written as `["json string"]` so distinct structures never collide. Empty objects/arrays are kept as the
 * strings `{}` / `[]` so adding or emptying a section still shows in a diff.
 */
import type { FlatMap, FlatValue } from './types.js';

const PLAIN_SEGMENT = /^[^.[\]"]+$/;

export function joinPath(parent: string, key: string): string {
  if (PLAIN_SEGMENT.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Flattens `data` (the result of a config parser or an application's config object) into leaf paths. */
export function flattenConfig(data: unknown, maxDepth = 200): FlatMap {
  const out: FlatMap = Object.create(null) as FlatMap;
  const seen = new Set<object>();
  const visit = (value: unknown, path: string, depth: number): void => {
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      if (seen.has(value)) {
        out[path] = '[circular]';
        return;
      }
      if (depth >= maxDepth) {
        out[path] = '[too deep]';
        return;
      }
      seen.add(value);
      if (Array.isArray(value)) {
        if (value.length === 0) out[path] = '[]';
        value.forEach((item, index) => visit(item, indexPath(path, index), depth + 1));
      } else if (isPlainRecord(value)) {
        const keys = Object.keys(value);
        if (keys.length === 0) out[path] = '{}';
        for (const key of keys) visit(value[key], joinPath(path, key), depth + 1);
      } else {
        out[path] = leafValue(value);
      }
      seen.delete(value);
      return;
    }
    out[path] = leafValue(value);
  };
  visit(data, '', 0);
  return out;
}

function isPlainRecord(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/** Scalars keep their JSON type; dates (TOML dates keep their TOML spelling), bigints etc. become strings. */
export function leafValue(value: unknown): FlatValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}
