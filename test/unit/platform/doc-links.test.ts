import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README is short and points into docs/: a moved or renamed manual must not leave a dead link behind. Checks
 * every relative Markdown link (and its #anchor, with GitHub's heading slugs) in the top-level documents and docs/.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const DOCUMENTS = [
  'README.md',
  'ARCHITECTURE.md',
  'CONTRIBUTING.md',
  'RELIABILITY.md',
  'BENCHMARKS.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => headingSlug(match[1] ?? '')));
}

function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '').filter((target) => !/^[a-z]+:/i.test(target));
}

describe('documentation links', () => {
  it('README.md stays short: at most 250 lines', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
  });

  it.each(DOCUMENTS)('every relative link in %s resolves', (document) => {
    const file = path.join(ROOT, document);
    const dead: string[] = [];
    for (const link of linksOf(file)) {
      const [target = '', anchor] = link.split('#');
      const resolved = target ? path.resolve(path.dirname(file), target) : file;
      if (!existsSync(resolved)) dead.push(`${link} (no such file)`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) dead.push(`${link} (no such heading)`);
    }
    expect(dead).toEqual([]);
  });

  it('the slug rule matches GitHub for headings with code and punctuation', () => {
    expect(headingSlug('The pure core (`domain/config-backup/`)')).toBe('the-pure-core-domainconfig-backup');
    expect(headingSlug('Running with Docker Compose')).toBe('running-with-docker-compose');
  });
});
