import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareAppConfig, canonicalJson } from '../../../domain/config-backup/app-config.js';
import { classifyEnvVars, selectEnvVars } from '../../../domain/config-backup/env.js';
import { diffViews } from '../../../domain/config-backup/diff.js';
import { openFileMetadata } from '../../../domain/config-backup/file-metadata.js';
import type { RedactedView } from '../../../domain/config-backup/types.js';
import type { PreviousItem } from '../../../db/repositories/config-backups.js';
import { backupOneFile, type Prepared } from '../../../capabilities/config-backup/run/backup-items.js';
import { loadPayload } from '../../../capabilities/config-backup/store/payloads.js';
import { runServices, type RunServices } from '../../../capabilities/config-backup/services.js';
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

/** What the next run reads back from the database for an item: built here from the prepared row and view. */
function previousOf(prepared: Prepared, services: RunServices): PreviousItem {
  const { item, view } = prepared;
  return {
    name: item.name,
    contentHash: item.contentHash!,
    format: item.format ?? null,
    keyId: item.keyId!,
    viewHash: item.viewHash ?? null,
    viewKeyId: view?.hashKeyId ?? services.redactor.hashKeyId,
    viewProfile: services.profile,
    metadataEnvelope: item.metadataEnvelope ?? null,
    changeToken: item.changeToken ?? null,
    sizeBytes: item.sizeBytes ?? null,
    secretCount: item.secretCount ?? null,
    warningCount: item.warningCount ?? null,
  };
}

async function runBackup(paths: string[], services: RunServices, previous?: Map<string, PreviousItem>): Promise<Prepared[]> {
  return Promise.all(paths.map((path) => backupOneFile(path, services, previous?.get(path), null)));
}

const viewOf = (prepared: Prepared) => JSON.parse(prepared.view!.json) as RedactedView;

describe('backing up configuration files', () => {
  it('backs up each file independently; an unchanged re-run stores no new payload bytes', async () => {
    const etc = join(dir.path, 'etc');
    await mkdir(etc);
    for (const [name, content] of Object.entries(FILES)) await writeFile(join(etc, name), content);
    await writeFile(join(etc, 'blob.conf'), Buffer.from([1, 0, 2]));
    const paths = [...Object.keys(FILES), 'blob.conf', 'missing.yaml'].map((name) => join(etc, name));
    const services = runServices({ CONFIG_BACKUP_KEY: KEY_1.toString('base64') }, join(dir.path, 'store'));

    const first = await runBackup(paths, services);
    await services.store.flush();
    const failures = first.filter((result) => result.item.status === 'failed');
    expect(failures.map((result) => [result.item.name, result.item.failureCode])).toEqual([
      [join(etc, 'blob.conf'), 'binary'],
      [join(etc, 'missing.yaml'), 'not-found'],
    ]);
    const ok = first.filter((result) => result.item.status !== 'failed');
    expect(ok).toHaveLength(8);
    expect(Object.fromEntries(ok.map((result) => [result.item.name.slice(etc.length + 1), viewOf(result).kind]))).toEqual({
      'app.yaml': 'map',
      'settings.json': 'map',
      '.env': 'map',
      'php.ini': 'map',
      'Cargo.toml': 'map',
      'nginx.conf': 'text',
      'broken.yaml': 'text',
      'copy-of-app.yaml': 'map',
    });
    expect(viewOf(ok.find((result) => result.item.name.endsWith('broken.yaml'))!).warnings).toHaveLength(1);
    // identical content under two names is one payload
    expect(ok.filter((result) => result.item.payloadWritten)).toHaveLength(7);
    expect((await services.store.list()).length).toBe(7);
    const firstStats = services.store.stats();
    expect(firstStats.objectsWritten).toBe(7);
    expect(JSON.stringify(ok.map((result) => result.view))).not.toContain(CANARY);
    expect((await walk(services.store.dir)).some((name) => name.includes('.tmp-'))).toBe(false);

    // exact bytes and attributes come back
    for (const result of ok) {
      const { name, contentHash, metadataEnvelope } = result.item;
      expect((await loadPayload(services.store, services.keyring, contentHash!)).toString()).toBe(FILES[name.slice(etc.length + 1)]);
      const info = await stat(name);
      expect(openFileMetadata(services.keyring, name, metadataEnvelope!)).toMatchObject({ size: info.size, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs });
    }

    // an unchanged re-run reads, writes and parses nothing again
    const previous = new Map(ok.map((result) => [result.item.name, previousOf(result, services)]));
    const second = await runBackup(paths, services, previous);
    expect(
      second
        .filter((result) => result.item.status !== 'failed')
        .every((result) => result.item.status === 'unchanged' && !result.item.payloadWritten && result.item.payloadBytesWritten === 0 && result.view === null),
    ).toBe(true);
    expect(services.store.stats()).toEqual(firstStats);

    // a changed secret is a new payload and a "changed" secret in the diff
    await writeFile(join(etc, 'app.yaml'), FILES['app.yaml']!.replace(CANARY, 'CANARY-n3w-000000'));
    const [third] = await runBackup([join(etc, 'app.yaml')], services, previous);
    expect(third?.item).toMatchObject({ status: 'backed_up', payloadWritten: true });
    expect(third?.view).not.toBeNull();
    const before = ok.find((result) => result.item.name === join(etc, 'app.yaml'))!;
    const diff = diffViews(viewOf(before), viewOf(third!));
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
