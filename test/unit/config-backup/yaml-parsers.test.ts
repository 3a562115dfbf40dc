import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../domain/config-backup/formats.js';
import { CANARY } from './helpers.js';

// YAML goes through js-yaml (fast) unless the text may hold anchors/aliases or js-yaml cannot cope; then through the
// `yaml` package. Both paths must give the same flat map and never quote the source in a warning.
function entries(text: string): Record<string, unknown> {
  const parsed = parseConfig(text, 'yaml');
  if (parsed.kind !== 'map') throw new Error(`expected a map, got text: ${parsed.warnings.join('; ')}`);
  return { ...parsed.entries };
}

describe('YAML parsing', () => {
  it('flattens plain YAML with core-schema scalars (no timestamps, yes/on stay strings)', () => {
    expect(entries('a:\n  b: 1\n  c: [true, null, 0x10]\nwhen: 2026-01-01\nflag: yes\n')).toEqual({
      'a.b': 1,
      'a.c[0]': true,
      'a.c[1]': null,
      'a.c[2]': 16,
      when: '2026-01-01',
      flag: 'yes',
    });
  });

  it('resolves anchors and aliases (the guarded parser) the same way as written out', () => {
    const withAlias = entries('base: &b\n  host: db\n  port: 5432\ncopy: *b\n');
    expect(withAlias).toEqual({ 'base.host': 'db', 'base.port': 5432, 'copy.host': 'db', 'copy.port': 5432 });
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const parsed = parseConfig(lines.join('\n'), 'yaml');
    expect(parsed.kind).toBe('text');
    expect(parsed.warnings).toEqual(['could not parse as YAML (too many alias expansions); backed up and shown as text']);
  });

  it('reports a duplicate key with its position', () => {
    const parsed = parseConfig(`password: ${CANARY}\npassword: other\n`, 'yaml');
    expect(parsed.warnings).toEqual(['could not parse as YAML (duplicated mapping key at line 2, column 1); backed up and shown as text']);
  });

  it('never quotes source text (tag names) in a warning', () => {
    const parsed = parseConfig(`key: !<tag:${CANARY}> value\n`, 'yaml');
    expect(parsed.kind).toBe('text');
    expect(parsed.warnings.join('\n')).not.toContain(CANARY);
    expect(parsed.warnings[0]).toMatch(/^could not parse as YAML \(invalid YAML at line 1, column \d+\); backed up and shown as text$/);
  });

  it('keeps multi-document streams as a list of documents', () => {
    expect(entries('kind: A\n---\nkind: B\n')).toEqual({ '[0].kind': 'A', '[1].kind': 'B' });
  });

  it('falls back to the guarded parser for nesting too deep for js-yaml, without crashing', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const parsed = parseConfig(deep, 'yaml');
    expect(['map', 'text']).toContain(parsed.kind);
  });
});
