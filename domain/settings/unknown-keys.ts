/**
 * What to say about a key the configuration does not know: the keys the schema accepts at that place, and the one
 * the operator most likely meant. A misspelt safety setting (`treshold: 0.2`) must fail loudly, and a suggestion
 * turns the failure into a one-character fix. Pure (no I/O).
 */
import type { z } from 'zod';

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: z.core.$ZodType): Def => schema._zod.def as unknown as Def;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The object schemas a value of `schema` may be parsed by, after wrappers (default, optional, pipe, ...). */
function objectCandidates(schema: z.core.$ZodType, value: unknown): z.core.$ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return [schema];
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return objectCandidates(def.innerType as z.core.$ZodType, value);
    case 'pipe':
      return objectCandidates(def.in as z.core.$ZodType, value);
    case 'union': {
      const options = def.options as z.core.$ZodType[];
      const discriminator = def.discriminator as string | undefined;
      const all = options.flatMap((option) => objectCandidates(option, value));
      if (discriminator === undefined || !isRecord(value)) return all;
      // A discriminated union parses by the option its discriminator names; without a match, none applies.
      return all.filter((option) => {
        const literal = (defOf(option).shape as Record<string, z.core.$ZodType>)[discriminator];
        return literal !== undefined && ((defOf(literal).values as unknown[] | undefined) ?? []).includes(value[discriminator]);
      });
    }
    default:
      return [];
  }
}

function childSchema(schema: z.core.$ZodType, value: unknown, key: PropertyKey): z.core.$ZodType | undefined {
  const def = defOf(schema);
  if (def.type === 'array' && typeof key === 'number') return def.element as z.core.$ZodType;
  const [object] = objectCandidates(schema, value);
  return object ? (defOf(object).shape as Record<string, z.core.$ZodType>)[String(key)] : undefined;
}

/** Unwraps to arrays as well as objects, for walking a path. */
function unwrapToContainer(schema: z.core.$ZodType): z.core.$ZodType {
  const def = defOf(schema);
  if (['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(def.type))
    return unwrapToContainer(def.innerType as z.core.$ZodType);
  if (def.type === 'pipe') return unwrapToContainer(def.in as z.core.$ZodType);
  return schema;
}

/**
 * The keys the object at `path` of `data` may have under `schema` (the option a union picks for that value), or
 * undefined when the path does not lead to an object schema.
 */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[], data: unknown): string[] | undefined {
  let node: z.core.$ZodType | undefined = schema;
  let value = data;
  for (const key of path) {
    node = node && childSchema(unwrapToContainer(node), value, key);
    value = isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[key as never] : undefined;
    if (!node) return undefined;
  }
  const candidates = objectCandidates(node, value);
  if (candidates.length === 0) return undefined;
  return [...new Set(candidates.flatMap((object) => Object.keys(defOf(object).shape as object)))];
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. Written here
 * rather than added as a dependency: a dozen lines, and no string-distance package is installed.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The known key closest to `key`, when it is close enough to be a typo: at most one edit for short keys, about one
 * per three characters for longer ones (`treshold` → `threshold`, `delay_minutes` → `delayMinutes`).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 64) return undefined; // no known key is that long; and the distance costs length x length
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.replace(/[_-]/g, ''), candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** `unknown key; did you mean \`threshold\`?`, or (with `listKnown`) the keys that are allowed there. */
export function unknownKeyMessage(key: string, known: readonly string[] | undefined, listKnown = true): string {
  if (!known || known.length === 0) return 'unknown key';
  const suggestion = nearestKey(key, known);
  if (suggestion) return `unknown key; did you mean \`${suggestion}\`?`;
  return listKnown ? `unknown key; known keys here: ${known.join(', ')}` : 'unknown key';
}
