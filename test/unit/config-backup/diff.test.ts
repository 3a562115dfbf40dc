import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffFlat, diffText, diffViews } from '../../../domain/config-backup/diff.js';
import { diffLineIndexes } from '../../../domain/config-backup/line-diff.js';
import type { MapView, TextView } from '../../../domain/config-backup/types.js';

describe('diffFlat', () => {
  it('reports added, removed and modified keys in key order', () => {
    const before = { 'a.host': 'x', 'a.port': 1, gone: true, same: null };
    const after = { 'a.host': 'y', 'a.port': 1, added: 'new', same: null };
    expect(diffFlat(before, after)).toEqual([
      { key: 'a.host', change: 'modified', secret: false, before: 'x', after: 'y' },
      { key: 'added', change: 'added', secret: false, after: 'new' },
      { key: 'gone', change: 'removed', secret: false, before: true },
    ]);
  });

  it('distinguishes types: "1" -> 1 is a change', () => {
    expect(diffFlat({ port: '1' }, { port: 1 })).toHaveLength(1);
  });

  it('reports secrets as changed without values (not even markers)', () => {
    const changes = diffFlat(
      { password: '«secret:aaaaaaaa»', token: '«secret:bbbbbbbb»', plain: 'x' },
      { password: '«secret:cccccccc»', token: '«secret:bbbbbbbb»', apiKey: '«secret:dddddddd»' },
    );
    expect(changes).toEqual([
      { key: 'apiKey', change: 'added', secret: true },
      { key: 'password', change: 'modified', secret: true },
      { key: 'plain', change: 'removed', secret: false, before: 'x' },
    ]);
    expect(JSON.stringify(changes)).not.toContain('«secret');
  });

  it('treats listed secret keys as secret even when their value is visible', () => {
    expect(diffFlat({ password: 'a' }, { password: 'b' }, ['password'])).toEqual([{ key: 'password', change: 'modified', secret: true }]);
  });
});

describe('diffText', () => {
  it('pairs replaced lines as modified and reports pure insertions/deletions', () => {
    const { changes, approximate } = diffText('a\nb\nc\nd\ne', 'a\nB\nc\nc2\ne');
    expect(approximate).toBe(false);
    expect(changes).toEqual([
      { change: 'modified', beforeLine: 2, afterLine: 2, before: 'b', after: 'B', secret: false },
      { change: 'modified', beforeLine: 4, afterLine: 4, before: 'd', after: 'c2', secret: false },
    ]);
    expect(diffText('a\nc', 'a\nb\nc').changes).toEqual([{ change: 'added', afterLine: 2, text: 'b', secret: false }]);
    expect(diffText('a\nb\nc', 'a\nc').changes).toEqual([{ change: 'removed', beforeLine: 2, text: 'b', secret: false }]);
    expect(diffText('same', 'same').changes).toEqual([]);
  });

  it('produces a minimal edit script that turns before into after (property)', () => {
    const line = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.array(line, { maxLength: 25 }), (before, after) => {
        const { edits, approximate } = diffLineIndexes(before, after);
        expect(approximate).toBe(false);
        const rebuilt: string[] = [];
        let expectedBefore = 0;
        let expectedAfter = 0;
        for (const edit of edits) {
          if (edit.op === 'equal') {
            expect(before[edit.beforeIndex]).toBe(after[edit.afterIndex]);
            expect([edit.beforeIndex, edit.afterIndex]).toEqual([expectedBefore++, expectedAfter++]);
            rebuilt.push(before[edit.beforeIndex]!);
          } else if (edit.op === 'remove') {
            expect(edit.beforeIndex).toBe(expectedBefore++);
          } else {
            expect(edit.afterIndex).toBe(expectedAfter++);
            rebuilt.push(after[edit.afterIndex]!);
          }
        }
        expect(rebuilt).toEqual(after);
        expect([expectedBefore, expectedAfter]).toEqual([before.length, after.length]);
        const editCount = edits.filter((edit) => edit.op !== 'equal').length;
        expect(editCount).toBe(before.length + after.length - 2 * lcsLength(before, after));
      }),
      { numRuns: 300, seed: 20261120 },
    );
  });

  it('falls back to a whole-block replacement when texts are unrelated and huge', () => {
    const before = Array.from({ length: 20_000 }, (_, i) => `old ${i}`);
    const after = Array.from({ length: 20_000 }, (_, i) => `new ${i}`);
    const started = performance.now();
    const { changes, approximate } = diffText(['same', ...before, 'tail'], ['same', ...after, 'tail']);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(approximate).toBe(true);
    expect(changes).toHaveLength(20_000);
    expect(changes.every((change) => change.change === 'modified')).toBe(true);
  });
});

describe('diffViews', () => {
  const mapView = (entries: MapView['entries'], hashKeyId = 'k1'): MapView => ({
    kind: 'map',
    format: 'yaml',
    hashKeyId,
    entries,
    secretKeys: [],
    warnings: [],
  });
  const textView = (lines: string[]): TextView => ({
    kind: 'text',
    format: 'text',
    hashKeyId: 'k1',
    lines,
    secretLines: [],
    warnings: [],
  });

  it('warns when markers come from different keys', () => {
    const diff = diffViews(mapView({ password: '«secret:aaaaaaaa»' }, 'k1'), mapView({ password: '«secret:bbbbbbbb»' }, 'k2'));
    expect(diff.warnings).toEqual(['secret markers come from different keys (k1 -> k2): every secret shows as changed, whether or not its value changed']);
  });

  it('compares a map with a text view (file stopped parsing) as text', () => {
    const diff = diffViews(mapView({ host: 'db', password: '«secret:aaaaaaaa»' }), textView(['host = "db"', 'broken [']));
    expect(diff.kind).toBe('text');
    expect(diff.warnings).toEqual(['the item changed from parsed yaml to text; compared as text']);
    expect(diff.changes).toEqual([
      { change: 'modified', beforeLine: 2, afterLine: 2, before: 'password = «secret:aaaaaaaa»', after: 'broken [', secret: true },
    ]);
  });
});

function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j]!, row[j - 1]!);
      diagonal = above;
    }
  }
  return row[b.length]!;
}
