import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ScheduleOverlapPolicy, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import dotenv from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../domain/config-backup/keyring.js';
import { configBackupWorkflowId, type ConfigBackupInput, type ConfigBackupResult, type ItemOutcome } from '../../domain/config-backup/contract.js';
import { getItem } from '../../db/repositories/config-backups.js';
import { diffItems, showItem } from '../../capabilities/config-backup/operations/inspect.js';
import { restoreItem, RestoreRefusedError } from '../../capabilities/config-backup/operations/restore-item.js';
import { verifyBackups } from '../../capabilities/config-backup/operations/verify.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import { configBackupSchedule } from '../../schedules/catalog.js';
import { bytesAsText, dumpAllTables, needlesFor, startCapturingWorker, storeUsage } from '../helpers/config-backup.js';
import { createHarness, type Harness } from '../helpers/harness.js';

// Fixed test keys (base64 of 32 bytes). The canary is a secret that must never appear in plaintext outside the
// encrypted store: not in Temporal history, the database, the logs or any output.
const KEY = Buffer.alloc(32, 0x5a).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 0x6b).toString('base64');
const CANARY = 'CANARY-7f3a9c-s3cr3t-e1';
const CANARY_2 = 'CANARY-b20d44-n3w-v4lue';
const PREFIX = 'CBTEST_';

let h: Harness;
let etc: string;
let storeDir: string;
let logLines: string[] = [];
const runtimeLines: string[] = [];
let stopWorker: () => Promise<void>;

const FILES: Record<string, string> = {
  'app.yaml': `# application\ndb:\n  host: db.internal\n  port: 5432\n  password: ${CANARY}\n`,
  'settings.json': `${JSON.stringify({ api: { token: CANARY, url: 'https://api.example.com' }, retries: 3 }, null, 2)}\n`,
  'php.ini': `[mail]\nsmtp_host = mail.internal\nsmtp_password = ${CANARY}\n`,
  '.env': `APP_ENV=production\nexport DB_PASSWORD="${CANARY}"\n`,
  'Cargo.toml': `[package]\nname = "svc"\n\n[secrets]\ntoken = "${CANARY}"\n`,
  'nginx.conf': `server {\n  listen 80;\n  proxy_set_header Authorization "Bearer ${CANARY}";\n}\n`,
  'broken.yaml': `items: [1, 2\npassword: ${CANARY}\n`,
  'conf.d/a.conf': `upstream a { server 10.0.0.1; }\n`,
  'conf.d/b.conf': `upstream b { server 10.0.0.2; }\n`,
};
const APP = { name: 'billing', config: { stripe: { apiKey: CANARY, currency: 'EUR' }, workers: 4 } };

function setWorkerEnv(key: string | null): void {
  if (key === null) delete process.env.CONFIG_BACKUP_KEY;
  else process.env.CONFIG_BACKUP_KEY = key;
}

beforeAll(async () => {
  // The SDK's own logs (workflow `log`, activity failures) are captured too, before any native connection exists.
  Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => runtimeLines.push(`${entry.message} ${safeJson(entry.meta)}`)) });
  setWorkerEnv(KEY); // before the harness: the client's payload codec reads the key when it is created
  h = await createHarness('config-backup');
  etc = path.join(h.dir, 'etc');
  storeDir = path.join(h.dir, 'config-store');
  await mkdir(path.join(etc, 'conf.d'), { recursive: true });
  for (const [name, content] of Object.entries(FILES)) await writeFile(path.join(etc, name), content);
  await chmod(path.join(etc, 'app.yaml'), 0o640);
  await utimes(path.join(etc, 'app.yaml'), new Date('2025-03-04T05:06:07.891Z'), new Date('2025-03-04T05:06:07.891Z'));
  await writeFile(path.join(etc, 'blob.conf'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
  await writeFile(path.join(etc, 'huge.json'), Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
  await mkdir(path.join(etc, 'a-directory.conf'));

  Object.assign(process.env, {
    CONFIG_BACKUP_DIR: storeDir,
    CONFIG_ENV_PREFIX: PREFIX,
    CONFIG_FILES_TO_BACKUP: [
      ...[
        'app.yaml',
        'settings.json',
        'php.ini',
        '.env',
        'Cargo.toml',
        'nginx.conf',
        'broken.yaml',
        'missing.yaml',
        'blob.conf',
        'huge.json',
        'a-directory.conf',
      ].map((f) => path.join(etc, f)),
      path.join(etc, 'conf.d/*.conf'),
      path.join(etc, 'nothing-here/*.yaml'),
    ].join(','),
    [`${PREFIX}DB_PASSWORD`]: CANARY,
    [`${PREFIX}HOST`]: 'web1.internal',
    [`${PREFIX}DATABASE_URL`]: `postgres://app:${CANARY}@db.internal/app`,
  });

  const worker = await startCapturingWorker(h);
  logLines = worker.lines;
  stopWorker = () => worker.stop();
});

afterAll(async () => {
  await stopWorker?.();
  await h?.close();
});

let runs = 0;
function start(input: ConfigBackupInput = {}): Promise<WorkflowHandle> {
  runs += 1;
  return h.client.workflow.start('configBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: configBackupWorkflowId(`${new Date().toISOString()}-${runs}`),
    args: [input],
  });
}
const run = async (input: ConfigBackupInput = {}): Promise<{ handle: WorkflowHandle; result: ConfigBackupResult }> => {
  const handle = await start(input);
  return { handle, result: await handle.result() };
};

const keyring = (spec = KEY) => Keyring.fromSpec(spec);
const store = () => new PayloadStore(storeDir);
const byName = (result: ConfigBackupResult) => new Map(result.items.map((i) => [i.name, i]));
const itemFor = (result: ConfigBackupResult, name: string): ItemOutcome => {
  const item = byName(result).get(name);
  if (!item) throw new Error(`no item ${name} in the result`);
  return item;
};

const storeBytes = () => storeUsage(storeDir);

let first: ConfigBackupResult;
let firstHandle: WorkflowHandle;

describe('configBackupWorkflow on the dev server and PostgreSQL', () => {
  it('the daily schedule starts it at 01:00 with {} and never overlaps', () => {
    const declaration = configBackupSchedule({ config: { timezone: 'UTC', targets: [] }, timezone: 'Europe/Berlin' });
    expect(declaration).toMatchObject({
      workflowType: 'configBackupWorkflow',
      args: [{}],
      calendars: [{ hour: 1, minute: 0 }],
      timezone: 'Europe/Berlin',
      overlap: ScheduleOverlapPolicy.SKIP,
    });
  });

  it('backs up env vars, every file format and an app config; each bad file fails alone with its reason', async () => {
    ({ handle: firstHandle, result: first } = await run({ apps: [APP] }));
    const status = Object.fromEntries(first.items.map((i) => [i.type === 'file' ? path.relative(etc, i.name) || i.name : `${i.type}:${i.name}`, i.status]));
    expect(status).toEqual({
      [`env:${PREFIX}`]: 'backed_up',
      'app.yaml': 'backed_up',
      'settings.json': 'backed_up',
      'php.ini': 'backed_up',
      '.env': 'backed_up',
      'Cargo.toml': 'backed_up',
      'nginx.conf': 'backed_up',
      'broken.yaml': 'backed_up',
      'conf.d/a.conf': 'backed_up',
      'conf.d/b.conf': 'backed_up',
      'missing.yaml': 'failed',
      'blob.conf': 'failed',
      'huge.json': 'failed',
      'a-directory.conf': 'failed',
      'nothing-here/*.yaml': 'failed',
      'app:billing': 'backed_up',
    });
    const reason = (name: string) => itemFor(first, path.join(etc, name)).reason;
    expect(reason('missing.yaml')).toBe(`${path.join(etc, 'missing.yaml')} does not exist`);
    expect(reason('blob.conf')).toMatch(/looks binary/);
    expect(reason('huge.json')).toMatch(/too large \(10485761 bytes; limit 10485760 bytes\)/);
    expect(reason('a-directory.conf')).toMatch(/is a directory|not a regular file/);
    expect(reason('nothing-here/*.yaml')).toBe(`no file matches ${path.join(etc, 'nothing-here/*.yaml')}`);
    expect(first.totals).toMatchObject({ backedUp: 11, unchanged: 0, failed: 5 });
    expect(first.totals.payloadBytesWritten).toBeGreaterThan(0);
    expect(first.items.every((i) => typeof i.id === 'number')).toBe(true);

    const set = await h.pool.query('SELECT status, items_backed_up, items_failed, finished_at FROM config_backup_sets WHERE id = $1', [first.setId]);
    expect(set.rows[0]).toMatchObject({ status: 'completed', items_backed_up: 11, items_failed: 5 });
    const lock = await h.pool.query('SELECT holder FROM config_backup_lock');
    expect(lock.rows).toEqual([{ holder: null }]);
    // The unparseable YAML is kept as text with a warning; the parsed ones are maps.
    const broken = await showItem(h.pool, itemFor(first, path.join(etc, 'broken.yaml')).id!);
    expect(broken.view).toMatchObject({ kind: 'text', warnings: [expect.stringMatching(/could not parse as YAML/)] });
    const yaml = await showItem(h.pool, itemFor(first, path.join(etc, 'app.yaml')).id!, keyring());
    expect(yaml.view).toMatchObject({
      kind: 'map',
      entries: { 'db.host': 'db.internal', 'db.port': 5432, 'db.password': expect.stringMatching(/^«secret:[0-9a-f]{8}»$/) },
    });
    expect(yaml.attributes).toMatchObject({ mode: '0640', mtime: '2025-03-04T05:06:07.891Z' });
    const env = await showItem(h.pool, itemFor(first, PREFIX).id!);
    expect(env.view).toMatchObject({
      kind: 'map',
      entries: { [`${PREFIX}HOST`]: 'web1.internal', [`${PREFIX}DB_PASSWORD`]: expect.stringMatching(/^«secret:/) },
    });
  });

  it('restores every file byte for byte with its mode and mtime, and the env vars and app config exactly', async () => {
    const target = path.join(h.dir, 'restore-1');
    for (const name of Object.keys(FILES)) {
      const original = path.join(etc, name);
      const report = await restoreItem(keyring(), store(), (await getItem(h.pool, itemFor(first, original).id!))!, { to: target });
      expect(report.path).toBe(path.join(target, original));
      expect(await readFile(report.path)).toEqual(await readFile(original));
      const [was, now] = await Promise.all([stat(original), stat(report.path)]);
      expect(now.mode & 0o7777).toBe(was.mode & 0o7777);
      expect(Math.abs(now.mtimeMs - was.mtimeMs)).toBeLessThan(0.01);
    }
    expect((await stat(path.join(target, etc, 'app.yaml'))).mode & 0o777).toBe(0o640);

    const env = await restoreItem(keyring(), store(), (await getItem(h.pool, itemFor(first, PREFIX).id!))!, { to: target });
    expect(dotenv.parse(await readFile(env.path))).toEqual({
      [`${PREFIX}DATABASE_URL`]: `postgres://app:${CANARY}@db.internal/app`,
      [`${PREFIX}DB_PASSWORD`]: CANARY,
      [`${PREFIX}HOST`]: 'web1.internal',
    });
    expect((await stat(env.path)).mode & 0o777).toBe(0o600);
    const app = await restoreItem(keyring(), store(), (await getItem(h.pool, itemFor(first, 'billing').id!))!, { to: target });
    expect(JSON.parse(await readFile(app.path, 'utf8'))).toEqual(APP.config);

    // An existing file is not overwritten without force; a failed item has nothing to restore.
    const again = (await getItem(h.pool, itemFor(first, path.join(etc, 'php.ini')).id!))!;
    await expect(restoreItem(keyring(), store(), again, { to: target })).rejects.toThrow(/already exists \(use --force to overwrite\)/);
    await writeFile(path.join(target, etc, 'php.ini'), 'clobbered');
    await restoreItem(keyring(), store(), again, { to: target, force: true });
    expect(await readFile(path.join(target, etc, 'php.ini'), 'utf8')).toBe(FILES['php.ini']);
    const failed = (await getItem(h.pool, itemFor(first, path.join(etc, 'missing.yaml')).id!))!;
    await expect(restoreItem(keyring(), store(), failed, { to: target })).rejects.toThrow(/failed to back up/);
  });

  it('an unchanged second run stores no new payload bytes', async () => {
    const before = await storeBytes();
    const { result } = await run({ apps: [APP] });
    expect(result.totals).toMatchObject({ backedUp: 0, unchanged: 11, failed: 5, payloadsWritten: 0, payloadBytesWritten: 0 });
    expect(result.items.filter((i) => i.status !== 'failed').every((i) => i.status === 'unchanged' && i.bytesWritten === 0)).toBe(true);
    expect(await storeBytes()).toEqual(before);
    // Unchanged items reuse the stored view and sealed attributes of their previous backup.
    const rows = await h.pool.query(
      `SELECT count(DISTINCT view_hash)::int AS views, count(*)::int AS items FROM config_backup_items WHERE item_type = 'file' AND status <> 'failed'`,
    );
    expect(rows.rows[0]).toEqual({ views: 9, items: 18 });
  });

  it('a changed value shows in diff, a changed secret only as changed, never with its plaintext', async () => {
    await writeFile(path.join(etc, 'app.yaml'), FILES['app.yaml']!.replace('port: 5432', 'port: 6432').replace(CANARY, CANARY_2));
    process.env[`${PREFIX}DB_PASSWORD`] = CANARY_2;
    const { result } = await run({ apps: [APP] });
    expect(itemFor(result, path.join(etc, 'app.yaml')).status).toBe('backed_up');
    expect(itemFor(result, PREFIX).status).toBe('backed_up');
    expect(itemFor(result, path.join(etc, 'php.ini')).status).toBe('unchanged');

    const fileDiff = await diffItems(h.pool, itemFor(result, path.join(etc, 'app.yaml')).id!);
    expect(fileDiff.diff.changes).toEqual([
      { key: 'db.password', change: 'modified', secret: true },
      { key: 'db.port', change: 'modified', secret: false, before: 5432, after: 6432 },
    ]);
    const envDiff = await diffItems(h.pool, itemFor(result, PREFIX).id!);
    expect(envDiff.diff.changes).toEqual([{ key: `${PREFIX}DB_PASSWORD`, change: 'modified', secret: true }]);
    // Two explicit IDs, given newest first, compare oldest to newest.
    const explicit = await diffItems(h.pool, itemFor(result, path.join(etc, 'app.yaml')).id!, itemFor(first, path.join(etc, 'app.yaml')).id!);
    expect(explicit.from.id).toBe(itemFor(first, path.join(etc, 'app.yaml')).id);
    for (const text of [fileDiff, envDiff, explicit].map((d) => JSON.stringify(d))) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(CANARY_2);
    }
  });

  it('a file rewritten with the same size and mtime is still seen as changed (its ctime moved)', async () => {
    const file = path.join(etc, 'conf.d/a.conf');
    const when = new Date('2025-06-01T12:00:00Z');
    await utimes(file, when, when);
    const touched = await run({ apps: [APP] });
    expect(itemFor(touched.result, file)).toMatchObject({ status: 'backed_up', bytesWritten: 0 }); // new mtime, same bytes
    const before = await stat(file);
    await writeFile(file, FILES['conf.d/a.conf']!.replace('10.0.0.1', '10.0.0.9'));
    await utimes(file, when, when);
    const after = await stat(file);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    const { result } = await run({ apps: [APP] });
    expect(itemFor(result, file)).toMatchObject({ status: 'backed_up' });
    expect(itemFor(result, path.join(etc, 'conf.d/b.conf'))).toMatchObject({ status: 'unchanged' });
    expect(result.totals).toMatchObject({ backedUp: 1, payloadsWritten: 1 });
  });

  it('a flipped bit or a truncated pack makes verify fail (naming the items) and restore refuse', async () => {
    expect((await verifyBackups(h.pool, keyring(), store())).ok).toBe(true);
    const phpItem = (await getItem(h.pool, itemFor(first, path.join(etc, 'php.ini')).id!))!;
    const nginxItem = (await getItem(h.pool, itemFor(first, path.join(etc, 'nginx.conf')).id!))!;
    const php = (await store().locate(phpItem.contentHash!))!;
    const nginx = (await store().locate(nginxItem.contentHash!))!;
    const target = path.join(h.dir, 'restore-tampered');
    for (const file of new Set([php.path, nginx.path])) await copyFile(file, `${file}.bak`);
    try {
      // One flipped bit inside php.ini's envelope: that payload alone fails.
      const bytes = await readFile(php.path);
      bytes[php.offset + php.length - 20]! ^= 0x04;
      await writeFile(php.path, bytes);
      let report = await verifyBackups(h.pool, keyring(), store());
      expect(report.ok).toBe(false);
      expect(report.failures).toHaveLength(1);
      expect(report.failures[0]!.hash).toBe(phpItem.contentHash);
      expect(report.failures[0]!.reason).toMatch(/authentication failed \(wrong key or tampered data\)/);
      expect(report.failures[0]!.items).toContain(`#${phpItem.id} file ${phpItem.name}`);
      await expect(restoreItem(keyring(), store(), phpItem, { to: target })).rejects.toThrow(RestoreRefusedError);
      await expect(restoreItem(keyring(), store(), phpItem, { to: target })).rejects.toThrow(
        /refusing to restore item \d+ \(file .*php\.ini\): .*authentication failed/,
      );
      await copyFile(`${php.path}.bak`, php.path);

      // A truncated pack: every payload it holds is missing, and the report names the pack and why.
      await truncate(nginx.path, (await stat(nginx.path)).size - 7);
      report = await verifyBackups(h.pool, keyring(), store());
      expect(report.ok).toBe(false);
      const failures = Object.fromEntries(report.failures.map((f) => [f.hash, f]));
      expect(failures[nginxItem.contentHash!]!.reason).toBe(`payload is missing from ${store().dir} (unreadable pack files: ${nginx.path}: no pack trailer)`);
      expect(failures[nginxItem.contentHash!]!.items).toContain(`#${nginxItem.id} file ${nginxItem.name}`);
      await expect(restoreItem(keyring(), store(), nginxItem, { to: target })).rejects.toThrow(/missing/);
      await expect(stat(path.join(target, etc, 'php.ini'))).rejects.toThrow(/ENOENT/);
    } finally {
      for (const file of new Set([php.path, nginx.path])) {
        await copyFile(`${file}.bak`, file);
        await rm(`${file}.bak`);
      }
    }
    expect((await verifyBackups(h.pool, keyring(), store())).ok).toBe(true);
  });

  it('a wrong key is a clear error for verify, restore and a backup run', async () => {
    const wrong = keyring(OTHER_KEY);
    const report = await verifyBackups(h.pool, wrong, store());
    expect(report.ok).toBe(false);
    expect(report.failures[0]!.reason).toMatch(/unknown key id "[0-9a-f]{16}" \(keyring has: [0-9a-f]{16}\): wrong CONFIG_BACKUP_KEY\?/);
    const item = (await getItem(h.pool, itemFor(first, path.join(etc, 'settings.json')).id!))!;
    await expect(restoreItem(wrong, store(), item, { to: path.join(h.dir, 'restore-wrong') })).rejects.toThrow(/wrong CONFIG_BACKUP_KEY\?/);

    setWorkerEnv(OTHER_KEY);
    try {
      const handle = await start();
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause?.message).toMatch(
        /^CONFIG_BACKUP_KEY cannot read existing backups: it lacks key id\(s\) "[0-9a-f]{16}" \(\d+ item\(s\)\)/,
      );
    } finally {
      setWorkerEnv(KEY);
    }
  });

  it('without a key the run fails at once, non-retryable, with a clear message, and writes nothing', async () => {
    const rowsBefore = await h.pool.query(
      'SELECT (SELECT count(*) FROM config_backup_sets)::int AS sets, (SELECT count(*) FROM config_backup_items)::int AS items',
    );
    const storeBefore = await storeBytes();
    setWorkerEnv(null);
    let handle: WorkflowHandle;
    try {
      handle = await start();
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause?.message).toBe('CONFIG_BACKUP_KEY is not set: refusing to back up without encryption');
    } finally {
      setWorkerEnv(KEY);
    }
    const history = await handle.fetchHistory();
    const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts).toEqual([1]);
    expect(
      (await h.pool.query('SELECT (SELECT count(*) FROM config_backup_sets)::int AS sets, (SELECT count(*) FROM config_backup_items)::int AS items')).rows,
    ).toEqual(rowsBefore.rows);
    expect(await storeBytes()).toEqual(storeBefore);
  });

  it('two runs started at once never overlap: the second waits for the lock, and nothing is written twice', async () => {
    await writeFile(path.join(etc, 'php.ini'), FILES['php.ini']!.replace('mail.internal', 'mail2.internal'));
    const before = await storeBytes();
    const [a, b] = await Promise.all([start(), start()]);
    const results: ConfigBackupResult[] = await Promise.all([a.result(), b.result()]);
    const [earlier, later] = [...results].sort((x, y) => x.waitedForLockMs - y.waitedForLockMs);
    expect(later!.waitedForLockMs).toBeGreaterThan(0);
    const sets = await h.pool.query('SELECT id, started_at, finished_at FROM config_backup_sets WHERE id = ANY($1) ORDER BY started_at', [
      [earlier!.setId, later!.setId],
    ]);
    expect(sets.rows[0].id).toBe(earlier!.setId);
    expect(sets.rows[1].started_at.getTime()).toBeGreaterThanOrEqual(sets.rows[0].finished_at.getTime());
    // The changed file is written by the first run only; the second finds it unchanged.
    expect(itemFor(earlier!, path.join(etc, 'php.ini'))).toMatchObject({ status: 'backed_up' });
    expect(itemFor(later!, path.join(etc, 'php.ini'))).toMatchObject({ status: 'unchanged', bytesWritten: 0 });
    expect(earlier!.totals.payloadsWritten).toBe(1);
    expect(later!.totals).toMatchObject({ payloadsWritten: 0, payloadBytesWritten: 0, backedUp: 0 });
    const after = await storeBytes();
    expect(after.objects).toBe(before.objects + 1);
    expect(after.bytes - before.bytes).toBe(earlier!.totals.payloadBytesWritten);
    const duplicates = await h.pool.query(
      'SELECT item_name FROM config_backup_items WHERE set_id = ANY($1) GROUP BY set_id, item_type, item_name HAVING count(*) > 1',
      [[earlier!.setId, later!.setId]],
    );
    expect(duplicates.rows).toEqual([]);
  });

  it('the canary secret appears nowhere in plaintext: Temporal history, database, logs, store', async () => {
    const needles = needlesFor(CANARY, CANARY_2);
    const history = await firstHandle.fetchHistory();
    const historyText = JSON.stringify(history, bytesAsText);
    for (const needle of needles) expect(historyText).not.toContain(needle);
    // Control: decoded, the run's input does hold the canary (the app config; payload bytes serialise as base64),
    // so the same search finds it whenever it is not encrypted.
    let input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads! as Payload[];
    for (const codec of [...h.client.options.loadedDataConverter.payloadCodecs].reverse()) input = await codec.decode(input);
    const decoded = JSON.stringify(input, bytesAsText);
    expect(needles.some((needle) => decoded.includes(needle))).toBe(true);

    const { tables, text: dump } = await dumpAllTables(h.pool);
    expect(tables).toEqual(expect.arrayContaining(['config_backup_sets', 'config_backup_items', 'config_backup_views', 'config_backup_lock']));
    expect(dump).toContain('db.internal');
    for (const needle of needles) expect(dump).not.toContain(needle);

    const logs = [...logLines, ...runtimeLines].join('\n');
    expect(logs).toContain('config backup finished');
    expect(logs).toContain('does not exist');
    for (const needle of needles) expect(logs).not.toContain(needle);

    let stored = '';
    for (const entry of await readdir(storeDir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) stored += (await readFile(path.join(entry.parentPath, entry.name))).toString('latin1');
    }
    for (const needle of needles) expect(stored).not.toContain(needle);
  });
});

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, bytesAsText) ?? '';
  } catch {
    return String(value);
  }
}
