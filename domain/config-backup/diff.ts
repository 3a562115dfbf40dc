/**
 * Differences between two redacted views of the same item. Pure: safe to import from workflow code.
 *
 * Secrets are reported only as changed: for a key that is (or was) secret the change carries no before/after
 * value at all, not even the marker. Markers are still what makes the change visible: a changed secret has a new
 * marker, so the key shows as modified. Text lines are shown as they appear in the redacted view (markers in
 * place of secrets), because for free text the line is the only way to say where the change is.
 */
import { diffLineIndexes } from './line-diff.js';
import { isSecretMarker } from './redact.js';
import type { FlatMap, FlatValue, RedactedView } from './types.js';

export type ChangeKind = 'added' | 'removed' | 'modified';

export interface KeyChange {
  key: string;
  change: ChangeKind;
  /** True when the value is or was a secret; `before`/`after` are then absent. */
  secret: boolean;
  before?: FlatValue;
  after?: FlatValue;
}

export type LineChange =
  | { change: 'added'; afterLine: number; text: string; secret: boolean }
  | { change: 'removed'; beforeLine: number; text: string; secret: boolean }
  | { change: 'modified'; beforeLine: number; afterLine: number; before: string; after: string; secret: boolean };

export interface ChangeSummary {
  added: number;
  removed: number;
  modified: number;
}

export type ViewDiff =
  | { kind: 'map'; changes: KeyChange[]; summary: ChangeSummary; warnings: string[] }
  | { kind: 'text'; changes: LineChange[]; summary: ChangeSummary; warnings: string[]; approximate: boolean };

/**
 * Key-level diff of two flat maps, sorted by key. `secretKeys` lists keys to treat as secret even when their value
 * is not a marker (views made with `keepSecrets`).
 */
export function diffFlat(before: FlatMap, after: FlatMap, secretKeys: Iterable<string> = []): KeyChange[] {
  const secret = new Set(secretKeys);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: KeyChange[] = [];
  for (const key of keys) {
    const inBefore = Object.hasOwn(before, key);
    const inAfter = Object.hasOwn(after, key);
    const was = before[key];
    const now = after[key];
    if (inBefore && inAfter && Object.is(was, now)) continue;
    const change: ChangeKind = !inBefore ? 'added' : !inAfter ? 'removed' : 'modified';
    const isSecret = secret.has(key) || isSecretMarker(was) || isSecretMarker(now);
    const entry: KeyChange = { key, change, secret: isSecret };
    if (!isSecret) {
      if (inBefore) entry.before = was ?? null;
      if (inAfter) entry.after = now ?? null;
    }
    changes.push(entry);
  }
  return changes;
}

/**
 * Line diff of two texts (or line arrays). Line numbers are 1-based. A run of removed lines directly followed by
 * added lines is paired up as modified lines.
 */
export function diffText(
  before: string | readonly string[],
  after: string | readonly string[],
  secretLines: { before?: Iterable<number>; after?: Iterable<number> } = {},
): { changes: LineChange[]; approximate: boolean } {
  const a = typeof before === 'string' ? before.split(/\r?\n/) : before;
  const b = typeof after === 'string' ? after.split(/\r?\n/) : after;
  const secretBefore = new Set(secretLines.before ?? []);
  const secretAfter = new Set(secretLines.after ?? []);
  const isSecretBefore = (i: number): boolean => secretBefore.has(i) || isSecretMarker(a[i]);
  const isSecretAfter = (i: number): boolean => secretAfter.has(i) || isSecretMarker(b[i]);

  const { edits, approximate } = diffLineIndexes(a, b);
  const changes: LineChange[] = [];
  let removed: number[] = [];
  let added: number[] = [];
  const flush = (): void => {
    const paired = Math.min(removed.length, added.length);
    for (let i = 0; i < paired; i++) {
      const bi = removed[i]!;
      const ai = added[i]!;
      changes.push({
        change: 'modified',
        beforeLine: bi + 1,
        afterLine: ai + 1,
        before: a[bi]!,
        after: b[ai]!,
        secret: isSecretBefore(bi) || isSecretAfter(ai),
      });
    }
    for (const bi of removed.slice(paired)) {
      changes.push({ change: 'removed', beforeLine: bi + 1, text: a[bi]!, secret: isSecretBefore(bi) });
    }
    for (const ai of added.slice(paired)) {
      changes.push({ change: 'added', afterLine: ai + 1, text: b[ai]!, secret: isSecretAfter(ai) });
    }
    removed = [];
    added = [];
  };
  for (const edit of edits) {
    if (edit.op === 'equal') flush();
    else if (edit.op === 'remove') removed.push(edit.beforeIndex);
    else added.push(edit.afterIndex);
  }
  flush();
  return { changes, approximate };
}

/** Diff of two views; views of different kinds (a file that stopped parsing) are compared as text. */
export function diffViews(before: RedactedView, after: RedactedView): ViewDiff {
  const warnings: string[] = [];
  if (before.hashKeyId !== null && after.hashKeyId !== null && before.hashKeyId !== after.hashKeyId) {
    warnings.push(
      `secret markers come from different keys (${before.hashKeyId} -> ${after.hashKeyId}): ` +
        'every secret shows as changed, whether or not its value changed',
    );
  }
  if (before.kind === 'map' && after.kind === 'map') {
    const changes = diffFlat(before.entries, after.entries, [...before.secretKeys, ...after.secretKeys]);
    return { kind: 'map', changes, summary: summarize(changes), warnings };
  }
  if (before.kind !== after.kind) {
    warnings.push(`the item changed from ${describeKind(before)} to ${describeKind(after)}; compared as text`);
  }
  const a = asLines(before);
  const b = asLines(after);
  const { changes, approximate } = diffText(a.lines, b.lines, { before: a.secretLines, after: b.secretLines });
  if (approximate) warnings.push('texts differ too much for a line-exact diff; the changed middle is shown whole');
  return { kind: 'text', changes, summary: summarize(changes), warnings, approximate };
}

function describeKind(view: RedactedView): string {
  return view.kind === 'map' ? `parsed ${view.format}` : 'text';
}

/** A map rendered as `key = value` lines, so it can be compared with a text view. Secret keys stay markers. */
function asLines(view: RedactedView): { lines: string[]; secretLines: number[] } {
  if (view.kind === 'text') return { lines: view.lines, secretLines: view.secretLines };
  const secret = new Set(view.secretKeys);
  const lines: string[] = [];
  const secretLines: number[] = [];
  for (const [key, value] of Object.entries(view.entries)) {
    if (secret.has(key) || isSecretMarker(value)) {
      secretLines.push(lines.length);
      // A view made with keepSecrets holds the value itself: never print it.
      lines.push(`${key} = ${isSecretMarker(value) ? String(value) : '«secret»'}`);
    } else {
      lines.push(`${key} = ${JSON.stringify(value)}`);
    }
  }
  return { lines, secretLines };
}

function summarize(changes: readonly { change: ChangeKind }[]): ChangeSummary {
  const summary: ChangeSummary = { added: 0, removed: 0, modified: 0 };
  for (const { change } of changes) summary[change]++;
  return summary;
}
