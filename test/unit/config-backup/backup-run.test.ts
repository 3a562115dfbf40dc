import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareAppConfig, canonicalJson } from '../../../domain/config-backup/app-config.js';
import { classifyEnvVars, selectEnvVars } from '../../../domain/config-backup/env.js';
import { diffViews } from '../../../domain/config-backup/diff.js';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import { backupConfigFile, type BackupConfigFileResult } from '../../../lib/config-store/backup-file.js';
import { loadPayload } from '../../../lib/config-store/payloads.js';
import { createConfigBackupServices } from '../../../lib/config-store/services.js';
import { CANARY, KEY_1, redactorFor, tempDir, walk } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.cleanup());

const FILES: Record<string, string> = {
  'app.yaml': `db:\n  host: db.internal\n  password: ${CANARY}\n`,
  'settings.json': JSON.stringify({ api: { token: CANARY, url: 'https://api.example.com' } }),
  '.env': `PROD_DB_PASSWORD=${CANARY}\nPROD_HOST=web1\n`,
  'php.ini': `[mail]\nsmtp_password = ${CANARY}\nsmtp_host = mail\n`,
  'Cargo.toml': `[package]\nname = "x"\n[secrets]\ntoken = "${CANARY}"\n`,
  'nginx.conf': `server {\n  listen 80;\n  proxy_set_header Authorization "Bearer ${CANARY}";\n}\n`,
  'broken.yaml': `a: [1, 2\npassword: ${CANARY}\n`,
  'copy-of-app.yaml': `db:\n  host: db.internal\n  password: ${CANARY}\n`,
};

async function runBackup(
  paths: string[],
  services: ReturnType<typeof createConfigBackupServices>,
  previous?: Map<string, BackupConfigFileResult>,
): Promise<BackupConfigFileResult[]> {
  return Promise.all(
    paths.map((path) => {
      const last = previous?.get(path);
      return backupConfigFile(path, services, {
        previous: last?.ok ? { contentHash: last.contentHash, format: last.format, view: last.view } : undefined,
      });
    }),
  );
}

describe('backing up configuration files', () => {
  it('backs up each file independently; an unchanged re-run stores no new payload bytes', async () => {
    const etc = join(dir.path, 'etc');
    await mkdir(etc);
    for (const [name, content] of Object.entries(FILES)) await writeFile(join(etc, name), content);
    await writeFile(join(etc, 'blob.conf'), Buffer.from([1, 0, 2]));
    const paths = [...Object.keys(FILES), 'blob.conf', 'missing.yaml'].map((name) => join(etc, name));
    const services = createConfigBackupServices({
      env: { CONFIG_BACKUP_KEY: KEY_1.toString('base64') },
      dir: join(dir.path, 'store'),
    });

    const first = await runBackup(paths, services);
    const failures = first.filter((result) => !result.ok);
    expect(failures.map((result) => !result.ok && [result.path, result.code])).toEqual([
      [join(etc, 'blob.conf'), 'binary'],
      [join(etc, 'missing.yaml'), 'not-found'],
    ]);
    const ok = first.filter((result): result is Extract<BackupConfigFileResult, { ok: true }> => result.ok);
    expect(ok).toHaveLength(8);
    expect(Object.fromEntries(ok.map((result) => [result.path.slice(etc.length + 1), result.view.kind]))).toEqual({
      'app.yaml': 'map', 'settings.json': 'map', '.env': 'map', 'php.ini': 'map', 'Cargo.toml': 'map',
      'nginx.conf': 'text', 'broken.yaml': 'text', 'copy-of-app.yaml': 'map',
    });
    expect(ok.find((result) => result.path.endsWith('broken.yaml'))!.view.warnings).toHaveLength(1);
    // identical content under two names is one payload
    expect(ok.filter((result) => result.payloadWritten)).toHaveLength(7);
    expect((await services.store.list()).length).toBe(7);
    const firstStats = services.store.stats();
    expect(firstStats.objectsWritten).toBe(7);
    expect(JSON.stringify(ok.map((result) => result.view))).not.toContain(CANARY);
    expect((await walk(services.store.dir)).some((name) => name.includes('.tmp-'))).toBe(false);

    // exact bytes and attributes come back
    for (const result of ok) {
      expect((await loadPayload(services.store, services.keyring, result.contentHash)).toString()).toBe(
        FILES[result.path.slice(etc.length + 1)],
      );
      expect(openFileMetadata(services.keyring, result.path, result.metadataEnvelope)).toEqual(result.metadata);
    }

    const previous = new Map(first.map((result) => [result.path, result]));
    const second = await runBackup(paths, services, previous);
    expect(second.filter((result) => result.ok).every((result) => result.ok && !result.payloadWritten && result.bytesWritten === 0 && result.viewReused)).toBe(true);
    expect(services.store.stats()).toEqual(firstStats);

    // a changed secret is a new payload and a "changed" secret in the diff
    await writeFile(join(etc, 'app.yaml'), FILES['app.yaml']!.replace(CANARY, 'CANARY-n3w-000000'));
    const [third] = await runBackup([join(etc, 'app.yaml')], services, previous);
    expect(third).toMatchObject({ ok: true, payloadWritten: true, viewReused: false });
    const before = previous.get(join(etc, 'app.yaml'));
    if (!third?.ok || !before?.ok) throw new Error('expected successful backups');
    const diff = diffViews(before.view, third.view);
    expect(diff.changes).toEqual([{ key: 'db.password', change: 'modified', secret: true }]);
    expect(JSON.stringify(diff)).not.toMatch(/CANARY/);
  });
});

describe('environment variables and application configs', () => {
  it('selects by prefix, never the backup key, and classifies', () => {
    const env = {
      PROD_DB_PASSWORD: CANARY,
      PROD_HOST: 'web1',
      PROD_KEYBOARD_LAYOUT: 'us',
      PROD_CALLBACK: 'postgres://u:p@h/db',
      DEV_DB_PASSWORD: 'x',
      CONFIG_BACKUP_KEY: KEY_1.toString('base64'),
    };
    const vars = selectEnvVars(env, 'PROD_');
    expect(vars.map((variable) => variable.name)).toEqual(['PROD_CALLBACK', 'PROD_DB_PASSWORD', 'PROD_HOST', 'PROD_KEYBOARD_LAYOUT']);
    expect(selectEnvVars(env, 'CONFIG_')).toEqual([]);
    expect(() => selectEnvVars(env, '')).toThrow(/refusing to back up the whole environment/);
    const classified = classifyEnvVars(vars, ['PASSWORD', 'KEY']);
    expect(classified.map((variable) => [variable.name, variable.classification.sensitive])).toEqual([
      ['PROD_CALLBACK', true],
      ['PROD_DB_PASSWORD', true],
      ['PROD_HOST', false],
      ['PROD_KEYBOARD_LAYOUT', false],
    ]);
  });

  it('prepares application configs: canonical payload, redacted view by default', () => {
    const redactor = redactorFor();
    const config = { z: 1, db: { password: CANARY, host: 'h' }, a: [true, null] };
    const prepared = prepareAppConfig(redactor, 'billing', config);
    expect(new TextDecoder().decode(prepared.payload)).toBe(`{"a":[true,null],"db":{"host":"h","password":"${CANARY}"},"z":1}`);
    expect(prepared.view.secretKeys).toEqual(['db.password']);
    expect(JSON.stringify(prepared.view)).not.toContain(CANARY);
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    const open = prepareAppConfig(redactor, 'billing', config, { encryptSensitive: false });
    expect(open.view.entries['db.password']).toBe(CANARY);
    expect(open.view.warnings).toHaveLength(1);
    expect(() => canonicalJson({ n: 10n })).toThrow(/bigint/);
  });
});
