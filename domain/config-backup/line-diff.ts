/**
 * Line diff (Myers' O((N+M)·D) shortest edit script) with a work cap. Pure: safe to import from workflow code.
 *
 * Common prefix and suffix are trimmed first, so a one-line change in a huge file costs almost nothing. When the
 * files differ so much that the edit distance exceeds the cap, the middle is reported as all-removed/all-added
 * (`approximate: true`) instead of spending seconds on an exact script nobody reads line by line.
 */

export type LineEdit = { op: 'equal'; beforeIndex: number; afterIndex: number } | { op: 'remove'; beforeIndex: number } | { op: 'add'; afterIndex: number };

export interface LineEditScript {
  edits: LineEdit[];
  approximate: boolean;
}

export const DEFAULT_MAX_EDIT_DISTANCE = 4000;
/** Bounds the O((N+M)·D) loop so a diff of two unrelated 10 MiB files stays well under a second. */
const MAX_WORK = 5_000_000;

export function diffLineIndexes(before: readonly string[], after: readonly string[], maxEditDistance = DEFAULT_MAX_EDIT_DISTANCE): LineEditScript {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (suffix < before.length - prefix && suffix < after.length - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) {
    suffix++;
  }
  const a = before.slice(prefix, before.length - suffix);
  const b = after.slice(prefix, after.length - suffix);

  const edits: LineEdit[] = [];
  for (let i = 0; i < prefix; i++) edits.push({ op: 'equal', beforeIndex: i, afterIndex: i });
  const middle = myers(a, b, maxEditDistance);
  const approximate = middle === null;
  for (const edit of middle ?? coarse(a.length, b.length)) edits.push(shift(edit, prefix));
  for (let i = 0; i < suffix; i++) {
    edits.push({ op: 'equal', beforeIndex: before.length - suffix + i, afterIndex: after.length - suffix + i });
  }
  return { edits, approximate };
}

function shift(edit: LineEdit, by: number): LineEdit {
  if (edit.op === 'equal') return { op: 'equal', beforeIndex: edit.beforeIndex + by, afterIndex: edit.afterIndex + by };
  if (edit.op === 'remove') return { op: 'remove', beforeIndex: edit.beforeIndex + by };
  return { op: 'add', afterIndex: edit.afterIndex + by };
}

function coarse(removed: number, added: number): LineEdit[] {
  const edits: LineEdit[] = [];
  for (let i = 0; i < removed; i++) edits.push({ op: 'remove', beforeIndex: i });
  for (let i = 0; i < added; i++) edits.push({ op: 'add', afterIndex: i });
  return edits;
}

/** Shortest edit script, or null when it needs more than `maxD` edits or too much work. */
function myers(a: readonly string[], b: readonly string[], maxD: number): LineEdit[] | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return coarse(n, m);
  const limit = Math.min(n + m, maxD);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  // trace[d] = furthest x per diagonal k in [-(d+1), d+1] before round d; backtracking reads k±1 of round d.
  const trace: Int32Array[] = [];
  let work = 0;
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      const snakeStart = x;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      work += x - snakeStart + 1;
      if (work > MAX_WORK) return null;
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m);
    }
  }
  return null;
}

function backtrack(trace: readonly Int32Array[], n: number, m: number): LineEdit[] {
  const reversed: LineEdit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const at = (k: number): number => v[k + d + 1]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      reversed.push({ op: 'equal', beforeIndex: x, afterIndex: y });
    }
    if (d > 0) {
      if (x === previousX) reversed.push({ op: 'add', afterIndex: previousY });
      else reversed.push({ op: 'remove', beforeIndex: previousX });
    }
    x = previousX;
    y = previousY;
  }
  return reversed.reverse();
}
