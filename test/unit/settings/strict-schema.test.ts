import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseSettings, settingsSchema } from '../../../domain/settings/schema.js';
import { parseSentinelYaml } from '../../../domain/settings/sentinel-yaml.js';

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: z.core.$ZodType): Def => schema._zod.def as unknown as Def;

/** Every schema reachable from `schema`, with the path that leads to it (`targets[].workflow`). */
function* walk(schema: z.core.$ZodType, path: string): Generator<{ path: string; schema: z.core.$ZodType }> {
  yield { path, schema };
  const def = defOf(schema);
  const child = (s: unknown, p: string) => walk(s as z.core.$ZodType, p);
  switch (def.type) {
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) yield* child(value, path ? `${path}.${key}` : key);
      if (def.catchall) yield* child(def.catchall, `${path}.*`);
      break;
    case 'array':
      yield* child(def.element, `${path}[]`);
      break;
    case 'union':
      for (const option of def.options as z.core.$ZodType[]) yield* child(option, path);
      break;
    case 'pipe':
      yield* child(def.in, path);
      yield* child(def.out, path);
      break;
    case 'record':
      yield* child(def.keyType, `${path}{key}`);
      yield* child(def.valueType, `${path}{value}`);
      break;
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
    case 'lazy':
      yield* child(def.type === 'lazy' ? (def.getter as () => unknown)() : def.innerType, path);
      break;
    default:
  }
}

describe('sentinel.yaml schema strictness (issue #11, item 13)', () => {
  const nodes = [...walk(settingsSchema, '')];

  it('makes every object strict, so a section added later cannot silently ignore a misspelt key', () => {
    const objects = nodes.filter((n) => defOf(n.schema).type === 'object');
    // The root, three target kinds, the workflow reference, the calendar spec and its range objects.
    expect(objects.length).toBeGreaterThanOrEqual(7);
    const catchallOf = (n: { schema: z.core.$ZodType }) => defOf(n.schema).catchall as z.core.$ZodType | undefined;
    // z.strictObject sets the catch-all to z.never(): any extra key is an issue.
    const loose = objects.filter((n) => {
      const catchall = catchallOf(n);
      return !catchall || defOf(catchall).type !== 'never';
    });
    expect(loose.map((n) => n.path || '(root)')).toEqual([]);
  });

  it('has no records or free-form values, which accept any key', () => {
    const open = nodes.filter((n) => ['record', 'unknown', 'any', 'map'].includes(defOf(n.schema).type));
    expect(open.map((n) => `${n.path}: ${defOf(n.schema).type}`)).toEqual([]);
  });
});

describe('sentinel.example.yaml (repository root, what `sentinel init` writes)', () => {
  const text = readFileSync('sentinel.example.yaml', 'utf8');

  it('is valid and shows every section and every target kind', () => {
    const config = parseSentinelYaml(text, 'sentinel.example.yaml');
    const raw = parse(text) as Record<string, unknown>;
    const rootKeys = Object.keys(defOf(settingsSchema).shape as object);
    expect(Object.keys(raw).sort()).toEqual([...rootKeys].sort());
    expect(new Set(config.targets.map((t) => t.kind))).toEqual(new Set(['postgres', 'command', 'workflow']));
    expect(config.targets.some((t) => typeof t.schedule === 'string')).toBe(true);
    expect(config.targets.some((t) => typeof t.schedule === 'object')).toBe(true);
  });

  it('explains itself in comments', () => {
    expect(text.split('\n').filter((line) => line.includes('#')).length).toBeGreaterThan(15);
  });

  it('keeps the docker example valid too', () => {
    expect(() => parseSettings(parse(readFileSync('docker/sentinel.example.yaml', 'utf8')))).not.toThrow();
  });
});
