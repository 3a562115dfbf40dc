import { describe, expect, it } from 'vitest';
import { isWithinRoot, normalizePosixPath, rebaseUnderTarget, resolveRestorePath } from '../../../domain/config-backup/paths.js';

describe('normalizePosixPath', () => {
  it.each([
    ['/etc//nginx/./nginx.conf', '/etc/nginx/nginx.conf'],
    ['/etc/../../x', '/x'],
    ['a/b/../../..', '..'],
    ['./a/', 'a'],
    ['', '.'],
    ['/', '/'],
  ])('%s -> %s', (input, output) => {
    expect(normalizePosixPath(input)).toBe(output);
  });

  it('does not treat a sibling with a common prefix as inside', () => {
    expect(isWithinRoot('/srv/restore', '/srv/restore-evil/x')).toBe(false);
    expect(isWithinRoot('/srv/restore', '/srv/restore/x')).toBe(true);
    expect(isWithinRoot('/', '/anything')).toBe(true);
  });
});

describe('resolveRestorePath', () => {
  const root = '/srv/restore';
  it.each([
    ['etc/app.yaml', '/srv/restore/etc/app.yaml'],
    ['/srv/restore/etc/app.yaml', '/srv/restore/etc/app.yaml'],
    ['a/../b.conf', '/srv/restore/b.conf'],
  ])('accepts %s', (requested, resolved) => {
    expect(resolveRestorePath(root, requested)).toEqual({ ok: true, path: resolved });
  });

  it.each([
    ['../etc/passwd', /escapes the restore root/],
    ['a/../../etc/passwd', /escapes the restore root/],
    ['/etc/passwd', /outside the restore root/],
    ['/srv/restore/../etc/passwd', /outside the restore root/],
    ['/srv/restore-evil/x', /outside the restore root/],
    ['.', /restore root itself/],
    ['', /empty destination/],
    ['a\0b', /NUL byte/],
  ])('refuses %s', (requested, reason) => {
    const result = resolveRestorePath(root, requested);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('requires an absolute root', () => {
    expect(resolveRestorePath('relative/root', 'x')).toEqual({ ok: false, reason: 'restore root "relative/root" must be an absolute path' });
  });
});

describe('rebaseUnderTarget', () => {
  it('maps an original absolute path into the target directory', () => {
    expect(rebaseUnderTarget('/tmp/restore', '/etc/nginx/nginx.conf')).toEqual({ ok: true, path: '/tmp/restore/etc/nginx/nginx.conf' });
    expect(rebaseUnderTarget('/tmp/restore', '/../../etc/shadow')).toEqual({ ok: true, path: '/tmp/restore/etc/shadow' });
  });

  it('refuses relative originals and the root', () => {
    expect(rebaseUnderTarget('/tmp/restore', 'etc/x').ok).toBe(false);
    expect(rebaseUnderTarget('/tmp/restore', '/').ok).toBe(false);
  });
});
