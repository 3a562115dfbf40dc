import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../domain/config-backup/keyring.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { verifyBackups } from '../../capabilities/config-backup/operations/verify.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { needlesFor, startCapturingWorker } from '../helpers/config-backup.js';
import { createHarness, type Harness } from '../helpers/harness.js';

// Fixed test keys; the canary must never reach any CLI output.
const KEY = Buffer.alloc(32, 0x3c).toString('base64');
const NEW_KEY = Buffer.alloc(32, 0x4d).toString('base64');
const CANARY = 'CANARY-cli-5e9d1a-s3cr3t';
const CANARY_2 = 'CANARY-cli-0b7c2f-r0t4ted';
const PREFIX = 'CBCLI_';

let h: Harness;
let db: pg.Pool;
let dbUrl: string;
let dropDatabase: () => Promise<void>;
let etc: string;
let storeDir: string;
let env: Record<string, string | undefined>;
let stopWorker: () => Promise<void>;
const outputs: string[] = [];

async function cli(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliRun> {
  const result = await runCli(args, { ...env, ...extraEnv });
  outputs.push(result.stdout, result.stderr);
  return result;
}

const json = <T>(run: CliRun): T => {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
};

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  process.env.CONFIG_BACKUP_KEY = KEY; // before the harness: its client's payload codec reads the key
  h = await createHarness('config-cli');
  // Prune and rotate-key act on every item in a database: this file gets its own, so tests running in parallel
  // (sharing the run's database) are not pruned or rotated under their feet.
  const shared = new URL(h.databaseUrl);
  const name = `${shared.pathname.slice(1)}_cfgcli`;
  const admin = new pg.Client({ connectionString: h.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  shared.pathname = `/${name}`;
  dbUrl = shared.toString();
  await migrate(dbUrl);
  db = createPool(dbUrl, 5);
  dropDatabase = async () => {
    await db.end();
    const cleanup = new pg.Client({ connectionString: h.databaseUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  };

  etc = path.join(h.dir, 'etc');
  storeDir = path.join(h.dir, 'config-store');
  await mkdir(etc, { recursive: true });
  await writeFile(path.join(etc, 'app.yaml'), `db:\n  host: db.internal\n  password: ${CANARY}\nworkers: 4\n`);
  await writeFile(path.join(etc, 'nginx.conf'), `server {\n  listen 80;\n  proxy_set_header Authorization "Bearer ${CANARY}";\n}\n`);
  await writeFile(path.join(h.dir, 'billing.json'), JSON.stringify({ stripe: { secretKey: CANARY, currency: 'EUR' } }));
  Object.assign(process.env, {
    CONFIG_BACKUP_DIR: storeDir,
    CONFIG_ENV_PREFIX: PREFIX,
    CONFIG_FILES_TO_BACKUP: `${path.join(etc, '*.yaml')},${path.join(etc, 'nginx.conf')}`,
    [`${PREFIX}API_TOKEN`]: CANARY,
    [`${PREFIX}REGION`]: 'eu-west-1',
  });
  const worker = await startCapturingWorker(h, db);
  stopWorker = () => worker.stop();
  env = {
    TEMPORAL_ADDRESS: h.temporalAddress,
    DATABASE_URL: dbUrl,
    SENTINEL_CONFIG: h.configPath,
    SENTINEL_TASK_QUEUE: h.taskQueue,
    SENTINEL_DATA_DIR: h.dir,
    CONFIG_BACKUP_KEY: KEY,
    CONFIG_BACKUP_DIR: storeDir,
  };
});

afterAll(async () => {
  await stopWorker?.();
  await dropDatabase?.();
  await h?.close();
});

let firstRun: ConfigBackupResult;
const fileItem = (result: ConfigBackupResult, name: string) => result.items.find((i) => i.name === path.join(etc, name))!;

describe('sentinel config, against the dev server and PostgreSQL', () => {
  it('backup --wait --json runs the workflow and prints every item; apps without a key are refused', async () => {
    firstRun = json<ConfigBackupResult>(await cli(['config', 'backup', '--wait', '--json', '--app', `billing=${path.join(h.dir, 'billing.json')}`]));
    expect(firstRun.workflowId).toMatch(/^config-backup\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(firstRun.items.map((i) => [i.type, i.name, i.status])).toEqual([
      ['env', PREFIX, 'backed_up'],
      ['file', path.join(etc, 'app.yaml'), 'backed_up'],
      ['file', path.join(etc, 'nginx.conf'), 'backed_up'],
      ['app', 'billing', 'backed_up'],
    ]);

    const refused = await cli(['config', 'backup', '--app', `billing=${path.join(h.dir, 'billing.json')}`], { CONFIG_BACKUP_KEY: undefined });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'error: refusing to start configBackupWorkflow with application configs: CONFIG_BACKUP_KEY is not set, so the input would be stored in Temporal history in plaintext',
    );
  });

  it('list (newest first, by type) and show (redacted)', async () => {
    // A second run with a changed secret and value, started in-process to keep CLI calls few.
    await writeFile(path.join(etc, 'app.yaml'), `db:\n  host: db.internal\n  password: ${CANARY_2}\nworkers: 8\n`);
    const second: ConfigBackupResult = await h.client.workflow.execute('configBackupWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: configBackupWorkflowId(new Date()),
      args: [{}],
    });
    expect(fileItem(second, 'app.yaml').status).toBe('backed_up');

    const listed = json<Array<{ id: number; type: string; name: string; status: string; backedUpAt: string }>>(
      await cli(['config', 'list', '--type', 'file', '--days', '1', '--json']),
    );
    expect(listed.map((i) => [i.id, i.status])).toEqual([
      [fileItem(second, 'nginx.conf').id, 'unchanged'],
      [fileItem(second, 'app.yaml').id, 'backed_up'],
      [fileItem(firstRun, 'nginx.conf').id, 'backed_up'],
      [fileItem(firstRun, 'app.yaml').id, 'backed_up'],
    ]);
    expect(listed.every((i) => i.type === 'file')).toBe(true);
    const human = (await cli(['config', 'list', '--type', 'file', '--days', '1'])).stdout.trimEnd().split('\n');
    expect(human[0]).toMatch(/^ +ID {2}BACKED UP AT +TYPE {2}STATUS +NAME$/);
    expect(human.slice(1).map((line) => Number(line.trim().split(/ +/)[0]))).toEqual(listed.map((i) => i.id));

    const shown = json<{ view: { kind: string; entries: Record<string, unknown> }; attributes: { mode: string } }>(
      await cli(['config', 'show', String(fileItem(second, 'app.yaml').id), '--json']),
    );
    expect(shown.view.kind).toBe('map');
    expect(shown.view.entries).toEqual({ 'db.host': 'db.internal', 'db.password': expect.stringMatching(/^«secret:[0-9a-f]{8}»$/), workers: 8 });
    expect(shown.attributes.mode).toMatch(/^0[0-7]{3}$/);
  });

  it('diff shows the changed value and the changed secret only as changed', async () => {
    const latest = json<Array<{ id: number; name: string }>>(await cli(['config', 'list', '--type', 'file', '--json'])).find(
      (i) => i.name === path.join(etc, 'app.yaml'),
    )!;
    const run = await cli(['config', 'diff', String(latest.id)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('~ db.password (secret modified)');
    expect(run.stdout).toContain('~ workers: 4 -> 8');
    expect(run.stdout).toContain('0 added, 0 removed, 2 modified');
  });

  it('restore is byte-exact, refuses to overwrite without --force and refuses a destination escaping the target', async () => {
    const id = String(fileItem(firstRun, 'nginx.conf').id);
    const target = path.join(h.dir, 'restored');
    const restored = json<{ path: string; mode: string; mtime: string }>(await cli(['config', 'restore', id, '--to', target, '--json']));
    const original = path.join(etc, 'nginx.conf');
    expect(restored.path).toBe(path.join(target, original));
    expect(await readFile(restored.path)).toEqual(await readFile(original));
    expect((await stat(restored.path)).mtime.toISOString()).toBe((await stat(original)).mtime.toISOString());

    const again = await cli(['config', 'restore', id, '--to', target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists \(use --force to overwrite\)/);

    // The first component of the original path is a symlink out of the target directory.
    const trap = path.join(h.dir, 'trap');
    await mkdir(trap);
    await mkdir(path.join(h.dir, 'outside'));
    await symlink(path.join(h.dir, 'outside'), path.join(trap, original.split('/')[1]!));
    const escaped = await cli(['config', 'restore', id, '--to', trap]);
    expect(escaped.code).toBe(1);
    expect(escaped.stderr).toMatch(/escapes the restore root .* through a symlink/);
  });

  it('restore --to a pseudo-filesystem, a device or a regular file is refused at once with what it is; a new nested directory is created', async () => {
    const id = String(fileItem(firstRun, 'nginx.conf').id);
    const label = `refusing to restore item ${id} \\(file ${path.join(etc, 'nginx.conf')}\\)`;
    const notDirectory = path.join(h.dir, 'billing.json');
    const refusals: Array<[string, RegExp]> = [
      // Before the fix: /proc spun in Node's recursive mkdir until killed, /dev/null failed with EEXIST … mkdir.
      ['/proc', new RegExp(`^error: ${label}: restore directory /proc is on proc, a kernel pseudo-filesystem that cannot hold restored files$`)],
      [
        '/proc/restored/here',
        new RegExp(
          `^error: ${label}: /proc \\(the nearest existing parent of the restore directory /proc/restored/here\\) is on proc, a kernel pseudo-filesystem`,
        ),
      ],
      ['/sys', new RegExp(`^error: ${label}: restore directory /sys is on sysfs, a kernel pseudo-filesystem that cannot hold restored files$`)],
      ['/dev/null', new RegExp(`^error: ${label}: restore directory /dev/null is a character device, not a directory$`)],
      [notDirectory, new RegExp(`^error: ${label}: restore directory ${notDirectory} is a regular file, not a directory$`)],
    ];
    // Each call must return on its own (the runCli timeout only keeps a regression from hanging the suite).
    const runs = await Promise.all(refusals.map(([to]) => runCli(['config', 'restore', id, '--to', to], env, 60_000)));
    runs.forEach((run, index) => {
      outputs.push(run.stdout, run.stderr);
      expect(run.stderr.trim(), refusals[index]![0]).toMatch(refusals[index]![1]);
      expect(run.code, refusals[index]![0]).toBe(1);
      expect(run.stdout).toBe('');
    });
    expect(await readFile(notDirectory, 'utf8')).toContain('stripe');

    const nested = path.join(h.dir, 'fresh', 'a', 'b');
    const restored = json<{ path: string }>(await cli(['config', 'restore', id, '--to', nested, '--json']));
    expect(restored.path).toBe(path.join(nested, etc, 'nginx.conf'));
    expect(await readFile(restored.path)).toEqual(await readFile(path.join(etc, 'nginx.conf')));
  });

  it('verify passes, then fails naming the damaged payload and its item (exit 1)', async () => {
    const ok = json<{ ok: boolean; payloadsChecked: number }>(await cli(['config', 'verify', '--json']));
    expect(ok).toMatchObject({ ok: true });
    expect(ok.payloadsChecked).toBeGreaterThanOrEqual(5);

    const item = fileItem(firstRun, 'nginx.conf');
    const row = await db.query('SELECT content_hash FROM config_backup_items WHERE id = $1', [item.id]);
    const at = (await new PayloadStore(storeDir).locate(row.rows[0].content_hash))!;
    const object = at.path;
    const original = await readFile(object);
    const damaged = Buffer.from(original);
    damaged[at.offset + at.length - 1]! ^= 0x01;
    await writeFile(object, damaged);
    try {
      const failed = await cli(['config', 'verify']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/^FAILED:/);
      expect(failed.stderr).toContain(`#${item.id} file ${path.join(etc, 'nginx.conf')}`);
      expect(failed.stderr).toContain('authentication failed (wrong key or tampered data)');
    } finally {
      await writeFile(object, original);
    }
  });

  it('prune keeps what restic forget keeps (hand-worked), says why, and deletes the rest', async () => {
    // Group A: eight backups of one file around the January/February 2026 boundary (ISO week 5 = Jan 26 - Feb 1).
    // One fixture set per snapshot (a set holds one backup of each item); the payload hashes are made up.
    let fixture = 0;
    const fixtureSet = async () => {
      fixture += 1;
      const set = await db.query(
        `INSERT INTO config_backup_sets (workflow_id, holder, status, key_id) VALUES ('retention-fixture', $1, 'completed', 'k') RETURNING id`,
        [`retention-fixture-${fixture}`],
      );
      return Number(set.rows[0].id);
    };
    const insert = async (name: string, type: string, at: string) =>
      Number(
        (
          await db.query(
            `INSERT INTO config_backup_items (set_id, item_type, item_name, status, content_hash, key_id, backed_up_at) VALUES ($1, $2, $3, 'backed_up', $4, 'k', $5) RETURNING id`,
            [await fixtureSet(), type, name, (fixture % 16).toString(16).repeat(64), at],
          )
        ).rows[0].id,
      );
    const a: number[] = [];
    for (const at of [
      '2026-01-05T10:00:00Z',
      '2026-01-12T10:00:00Z',
      '2026-01-31T22:00:00Z',
      '2026-02-01T08:00:00Z',
      '2026-02-01T20:00:00Z',
      '2026-02-02T09:00:00Z',
      '2026-02-03T09:00:00Z',
      '2026-02-03T18:00:00Z',
    ])
      a.push(await insert('/retention/a.conf', 'file', at));
    const failedItem = Number(
      (
        await db.query(
          `INSERT INTO config_backup_items (set_id, item_type, item_name, status, failure_reason, backed_up_at) VALUES ($1, 'file', 'failed.conf', 'failed', 'gone', '2026-01-01T00:00:00Z') RETURNING id`,
          [await fixtureSet()],
        )
      ).rows[0].id,
    );
    const b: number[] = [];
    for (const at of ['2026-02-01T01:00:00Z', '2026-02-02T01:00:00Z', '2026-02-03T01:00:00Z']) b.push(await insert('RET_', 'env', at));

    const policy = ['--keep-last', '2', '--keep-daily', '3', '--keep-weekly', '2', '--keep-monthly', '2'];
    type Report = {
      dryRun: boolean;
      policy: string;
      groups: Array<{ group: string; keep: Array<{ id: number; reasons: string[] }>; remove: Array<{ id: number }> }>;
      deleted?: { items: number; payloads: number };
    };
    const dry = json<Report>(await cli(['config', 'prune', ...policy, '--dry-run', '--json']));
    expect(dry.dryRun).toBe(true);
    expect(dry.policy).toBe('keep 2 last, 3 daily, 2 weekly, 2 monthly');
    const groupA = dry.groups.find((g) => g.group === 'file:/retention/a.conf')!;
    // Newest first: 8 and 7 are the last two; days 02-03 (8), 02-02 (6), 02-01 (5); weeks W06 (8), W05 (5);
    // months 2026-02 (8), 2026-01 (3). Nothing keeps 4 (an earlier one on 02-01), 2 or 1.
    expect(groupA.keep).toEqual([
      { id: a[7], backedUpAt: '2026-02-03T18:00:00.000Z', reasons: ['last #1', 'daily 2026-02-03', 'weekly 2026-W06', 'monthly 2026-02'] },
      { id: a[6], backedUpAt: '2026-02-03T09:00:00.000Z', reasons: ['last #2'] },
      { id: a[5], backedUpAt: '2026-02-02T09:00:00.000Z', reasons: ['daily 2026-02-02'] },
      { id: a[4], backedUpAt: '2026-02-01T20:00:00.000Z', reasons: ['daily 2026-02-01', 'weekly 2026-W05'] },
      { id: a[2], backedUpAt: '2026-01-31T22:00:00.000Z', reasons: ['monthly 2026-01'] },
    ]);
    expect(groupA.remove.map((r) => r.id)).toEqual([a[3], a[1], a[0]]);
    const groupB = dry.groups.find((g) => g.group === 'env:RET_')!;
    expect(groupB.keep.map((k) => [k.id, k.reasons])).toEqual([
      [b[2], ['last #1', 'daily 2026-02-03', 'weekly 2026-W06', 'monthly 2026-02']],
      [b[1], ['last #2', 'daily 2026-02-02']],
      [b[0], ['daily 2026-02-01', 'weekly 2026-W05']],
    ]);
    expect(dry.groups.some((g) => g.group === 'file:failed.conf')).toBe(false);
    // 7 real items (two runs) + 11 fixture snapshots + 1 failed fixture item.
    expect((await db.query('SELECT count(*)::int AS n FROM config_backup_items')).rows[0].n).toBe(19);

    const before = (await db.query('SELECT id FROM config_backup_items')).rows.map((r) => Number(r.id));
    const real = json<Report>(await cli(['config', 'prune', ...policy, '--json']));
    const removedIds = real.groups.flatMap((g) => g.remove.map((r) => r.id));
    expect(removedIds).toEqual(expect.arrayContaining([a[3], a[1], a[0]]));
    const after = new Set((await db.query('SELECT id FROM config_backup_items')).rows.map((r) => Number(r.id)));
    // Also gone: the failed item, whose set no longer held any successful backup.
    const numeric = (x: number, y: number) => x - y;
    expect(before.filter((id) => !after.has(id)).sort(numeric)).toEqual([...removedIds, failedItem].sort(numeric));
    expect(real.deleted!.items).toBe(removedIds.length);
    // The real backups of this file lost their oldest snapshots; every payload still referenced is intact.
    expect(
      (await verifyBackups(db, Keyring.fromSpec(KEY), new PayloadStore(storeDir))).failures.filter(
        (f) => !f.items.every((i) => i.includes('RET_') || i.includes('/retention/')),
      ),
    ).toEqual([]);
    await db.query(`DELETE FROM config_backup_sets WHERE workflow_id = 'retention-fixture'`);
  });

  it('rotate-key re-encrypts everything under the new key; the old key can then be dropped', async () => {
    await db.query(`DELETE FROM config_backup_sets WHERE workflow_id = 'retention-fixture'`); // made-up payloads
    const rotated = json<{ payloads: { total: number; rotated: number }; envelopes: { rotated: number }; oldPayloadsRemoved: number }>(
      await cli(['config', 'rotate-key', '--json'], { CONFIG_BACKUP_KEY: `*${NEW_KEY},${KEY}` }),
    );
    expect(rotated.payloads.rotated).toBe(rotated.payloads.total);
    expect(rotated.payloads.total).toBeGreaterThan(0);
    expect(rotated.envelopes.rotated).toBeGreaterThan(0);
    expect(rotated.oldPayloadsRemoved).toBe(rotated.payloads.total);

    const newOnly = Keyring.fromSpec(NEW_KEY);
    const report = await verifyBackups(db, newOnly, new PayloadStore(storeDir));
    expect(report).toMatchObject({ ok: true, orphans: [] });
    // A run with only the new key finds everything unchanged (the rows point at the re-encrypted payloads).
    process.env.CONFIG_BACKUP_KEY = NEW_KEY;
    try {
      const run: ConfigBackupResult = await h.client.workflow.execute('configBackupWorkflow', {
        taskQueue: h.taskQueue,
        workflowId: configBackupWorkflowId(new Date()),
        args: [{}],
      });
      expect(run.totals).toMatchObject({ backedUp: 0, failed: 0, payloadBytesWritten: 0 });
    } finally {
      process.env.CONFIG_BACKUP_KEY = KEY;
    }
  });

  it('no CLI output ever contained the canary secret', () => {
    const text = outputs.join('\n');
    expect(text).toContain('db.internal');
    for (const needle of needlesFor(CANARY, CANARY_2)) expect(text).not.toContain(needle);
  });
});
