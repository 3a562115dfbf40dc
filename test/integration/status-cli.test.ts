import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { preBackupScheduleId } from '../../domain/freshness/contract.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';

// The real `sentinel status` against the dev server and PostgreSQL: its table, its JSON and its exit codes.
const HOUR = 3_600_000;
const tag = randomBytes(3).toString('hex');
const OK = `st-ok-${tag}`;
const OLD = `st-old-${tag}`;
const BROKEN = `st-broken-${tag}`;
const ANOMALOUS = `st-anomalous-${tag}`;
const PAUSED = `st-paused-${tag}`;
const DRILLED = `st-drilled-${tag}`;

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('status-cli');
  const target = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: 'command', command: 'true', maxAge: '1h', threshold: 0.99, ...extra });
  await h.writeConfig({
    targets: [
      target(OK, { capacityGb: 100 }),
      target(OLD),
      target(BROKEN),
      target(ANOMALOUS),
      target(PAUSED, { schedule: '0 2 * * *', maxAge: '12h' }),
      target(DRILLED),
    ],
  });
  const now = Date.now();
  let n = 0;
  const run = (name: string, ageMs: number, status: 'completed' | 'failed' = 'completed') =>
    insertBackupRun(h.pool, {
      backupId: `${name}-${n++}`,
      target: name,
      startedAt: new Date(now - ageMs),
      endedAt: null,
      status,
      durationSeconds: 60,
      sizeBytes: 5e8,
      source: 'import',
    });
  for (const name of [OK, BROKEN, ANOMALOUS, PAUSED, DRILLED]) await run(name, 20 * 60_000);
  await run(OLD, 3 * HOUR);
  await run(BROKEN, 5 * 60_000, 'failed');
  await h.pool.query(
    `INSERT INTO anomaly_incidents (incident_id, target, metric, direction, kind, opened_at, last_seen_at, last_backup_id, occurrences, opened_by)
     VALUES ($1, $2, 'durationSeconds', 'above', 'run', now(), now(), $3, 1, 'test')`,
    [`inc-${tag}`, ANOMALOUS, `${ANOMALOUS}-0`],
  );
  // restore_drills belongs to the restore drills (migration 0010); a database without it shows "-". This one has it.
  await h.pool.query(`CREATE TABLE IF NOT EXISTS restore_drills (
    drill_id text PRIMARY KEY, target text NOT NULL, kind text NOT NULL, workflow_id text NOT NULL, status text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, restore_seconds double precision, error text)`);
  await h.pool.query(
    `INSERT INTO restore_drills (drill_id, target, kind, workflow_id, status, started_at, finished_at, restore_seconds, error)
     VALUES ($1, $2, 'command', 'drill/x', 'failed', now() - interval '2 hours', now() - interval '2 hours', 42, 'check failed'),
            ($3, $2, 'command', 'drill/y', 'passed', now() - interval '1 day', now() - interval '1 day', 40, NULL),
            ($4, $5, 'command', 'drill/z', 'passed', now() - interval '1 hour', now() - interval '1 hour', 95, NULL)`,
    [`d1-${tag}`, DRILLED, `d2-${tag}`, `d3-${tag}`, OK],
  );
  await h.client.schedule.create({
    scheduleId: preBackupScheduleId(PAUSED),
    spec: { cronExpressions: ['0 2 * * *'] },
    action: { type: 'startWorkflow', workflowType: preBackupWorkflow, taskQueue: h.taskQueue, args: [{ target: PAUSED }] },
    state: { paused: true },
  });
  env = { TEMPORAL_ADDRESS: h.temporalAddress, DATABASE_URL: h.databaseUrl, SENTINEL_CONFIG: h.configPath, SENTINEL_DATA_DIR: h.dir, BACKUP_DIR: h.backupDir };
});

afterAll(async () => {
  await h?.client.schedule
    .getHandle(preBackupScheduleId(PAUSED))
    .delete()
    .catch(() => undefined);
  await h?.close();
});

const status = async (...args: string[]) => {
  const result = await runCli(['status', ...args], env);
  return { ...result, json: args.includes('--json') ? JSON.parse(result.stdout) : undefined };
};

describe('sentinel status', () => {
  it('exit 0 and a ✓ for a fresh target with nothing failing or critical; the JSON carries every column', async () => {
    const r = await status('--target', OK, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(ExitCode.ok);
    const [row] = r.json.targets;
    expect(row).toMatchObject({
      target: OK,
      freshness: { state: 'fresh', maxAgeSeconds: 3600, maxAgeSource: 'config' },
      lastAttempt: { status: 'completed' },
      lastDrill: { available: true, status: 'passed', restoreSeconds: 95 },
      risk: { model: 'rules' },
      schedule: { state: 'not-declared', nextRunAt: null },
      problems: [],
    });
    expect(row.freshness.ageSeconds).toBeGreaterThanOrEqual(20 * 60);
    expect(row.store).toMatchObject({ sizeGb: 0.5, capacityGb: 100 });
    expect(r.json.exitCode).toBe(0);
    const text = await status('--target', OK);
    expect(text.code).toBe(ExitCode.ok);
    expect(text.stdout).toMatch(/^TARGET +LAST SUCCESS +AGE \/ MAXAGE +FRESH +LAST DRILL \(RTO\) +RISK \(MODEL\) +NEXT RUN +OPEN INCIDENTS +STORE +FULL IN$/m);
    expect(text.stdout).toMatch(new RegExp(`^${OK} .* 2\\dm(\\d+s)? / 1h +✓ +passed 1m35s +\\w+ 0\\.\\d\\d \\(rules\\) +- +- +0\\.50 GB`, 'm'));
    expect(text.stdout).toContain('all 1 target(s) fresh, nothing failing or critical');
  });

  it('exit 7 when a backup is stale (older than maxAge), whatever else is wrong', async () => {
    const one = await status('--target', OLD, '--json');
    expect(one.code).toBe(ExitCode.stale);
    expect(one.json.targets[0]).toMatchObject({ freshness: { state: 'stale' }, problems: ['stale'] });
    const all = await status();
    expect(all.code).toBe(ExitCode.stale);
    expect(all.stdout).toMatch(new RegExp(`^${OLD} .* 3h(\\d+s)? / 1h +stale `, 'm'));
    expect(all.stdout).toContain(`${OLD}: stale`);
  });

  it('exit 8 when the last attempt or the last restore drill failed', async () => {
    const broken = await status('--target', BROKEN, '--json');
    expect(broken.code).toBe(ExitCode.failing);
    expect(broken.json.targets[0]).toMatchObject({ lastAttempt: { status: 'failed' }, freshness: { state: 'fresh' }, problems: ['failing'] });
    const drilled = await status('--target', DRILLED, '--json');
    expect(drilled.code).toBe(ExitCode.failing);
    expect(drilled.json.targets[0]).toMatchObject({ lastDrill: { status: 'failed', restoreSeconds: 42, error: 'check failed' }, problems: ['failing'] });
  });

  it('exit 9 for an open anomaly incident (critical), listed by kind', async () => {
    const r = await status('--target', ANOMALOUS, '--json');
    expect(r.code).toBe(ExitCode.critical);
    expect(r.json.targets[0]).toMatchObject({ openIncidents: { anomaly: 1 }, problems: ['critical'] });
    expect((await status('--target', ANOMALOUS)).stdout).toMatch(new RegExp(`^${ANOMALOUS} .* 1 anomaly `, 'm'));
  });

  it('reports a paused schedule instead of a next run', async () => {
    const r = await status('--target', PAUSED, '--json');
    expect(r.json.targets[0]).toMatchObject({ schedule: { id: preBackupScheduleId(PAUSED), state: 'paused', nextRunAt: null } });
    expect(r.code).toBe(ExitCode.ok);
    expect((await status('--target', PAUSED)).stdout).toMatch(new RegExp(`^${PAUSED} .* paused `, 'm'));
  });

  it('without Temporal the table still prints: schedules are unknown, and it says so', async () => {
    const r = await runCli(['status', '--target', PAUSED, '--json'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stderr).toMatch(/^warning: Temporal not reachable, schedules unknown: /);
    const report = JSON.parse(r.stdout);
    expect(report.targets[0]).toMatchObject({ target: PAUSED, freshness: { state: 'fresh' }, schedule: { state: 'unknown', nextRunAt: null } });
    expect(report.notes).toEqual([expect.stringMatching(/^schedule state unknown for 1 target\(s\)/)]);
  });

  it('an unknown target is invalid input (2), one line', async () => {
    const r = await runCli(['status', '--target', 'nope'], env);
    expect(r.code).toBe(ExitCode.invalidInput);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('unknown target "nope"');
  });
});
