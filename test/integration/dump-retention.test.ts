import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneTargetDumps } from '../../capabilities/dumps/retention.js';
import { forecastTargetCapacity } from '../../capabilities/monitoring/capacity.js';
import { parseSettings } from '../../domain/settings/schema.js';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { applyRetention } from '../../domain/config-backup/retention.js';
import { runCli } from '../helpers/cli.js';
import { keepingPolicy } from '../helpers/retention-policies.js';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * Dump retention on real rows and files: generated dumps (times, a policy, a drilled dump, a leased dump), pruned
 * by the code that runs after every backup, checked against the retention code's own verdict and the disk.
 */
let h: Harness;
beforeAll(async () => {
  h = await createHarness('dump-retention');
});
afterAll(async () => {
  await h?.close();
});

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
let seq = 0;

async function seedDumps(target: string, hours: number[]): Promise<Array<{ backupId: string; time: Date; file: string }>> {
  const dir = path.join(h.backupDir, target);
  await mkdir(dir, { recursive: true });
  const dumps = [];
  for (const [k, hour] of hours.entries()) {
    const backupId = `${target}#${k}`;
    const time = new Date(T0 + hour * HOUR);
    const file = path.join(dir, `d${k}.dump`);
    await writeFile(file, `dump ${k}`);
    await insertBackupRun(h.pool, {
      backupId,
      target,
      startedAt: time,
      endedAt: time,
      status: 'completed',
      durationSeconds: 1,
      sizeBytes: 6,
      workflowRunId: `${target}-run-${k}`,
      artifactPath: file,
      artifactSha256: 'x'.repeat(64),
    });
    dumps.push({ backupId, time, file });
  }
  return dumps;
}

async function drill(target: string, backupId: string, status: 'passed' | 'running', leaseSeconds = 300): Promise<void> {
  await h.pool.query(
    `INSERT INTO restore_drills (drill_id, target, kind, workflow_id, backup_id, status, lease_until, finished_at)
     VALUES ($1, $2, 'postgres', 'w', $3, $4, CASE WHEN $4 = 'running' THEN now() + make_interval(secs => $5) END, CASE WHEN $4 = 'passed' THEN now() END)`,
    [`${target}-drill-${seq++}`, target, backupId, status, leaseSeconds],
  );
}

const policyArb = keepingPolicy({ maxCount: 5, maxWithinMs: 96 * HOUR, yearly: false });

describe('prune on real rows and files', () => {
  it('keeps exactly what the policy keeps plus the newest drilled dump and a leased one; the rest are unlinked and marked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 * 24 }), { minLength: 1, maxLength: 25 }),
        policyArb,
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        async (hours, policy, drilledPick, leasePick, withLease) => {
          const target = `prop-${seq++}`;
          const dumps = await seedDumps(target, hours);
          // Two passed drills: only the newer dump of the two is protected.
          const drilled = [dumps[drilledPick % dumps.length]!, dumps[(drilledPick + 1) % dumps.length]!];
          for (const d of drilled) await drill(target, d.backupId, 'passed');
          const newestDrilled = drilled.sort((a, b) => b.time.getTime() - a.time.getTime())[0]!;
          const leased = withLease ? dumps[leasePick % dumps.length]! : undefined;
          if (leased) await drill(target, leased.backupId, 'running');

          const report = await pruneTargetDumps(h.pool, target, policy);

          const expected = new Set(
            applyRetention(
              dumps.map((d) => ({ id: d.backupId, group: target, time: d.time })),
              policy,
            ).keep.map((k) => k.snapshot.id),
          );
          expected.add(newestDrilled.backupId);
          if (leased) expected.add(leased.backupId);
          expect(new Set(report.kept.map((k) => k.backupId))).toEqual(expected);
          const onDisk = new Set(await readdir(path.join(h.backupDir, target)));
          expect(onDisk).toEqual(new Set(dumps.filter((d) => expected.has(d.backupId)).map((d) => path.basename(d.file))));
          const marked = await h.pool.query('SELECT backup_id FROM backup_runs WHERE target = $1 AND artifact_pruned_at IS NOT NULL', [target]);
          expect(new Set(marked.rows.map((r) => r.backup_id))).toEqual(new Set(dumps.filter((d) => !expected.has(d.backupId)).map((d) => d.backupId)));
          // Rows stay: history is not rewritten by retention.
          const rows = await h.pool.query('SELECT count(*)::int AS n FROM backup_runs WHERE target = $1', [target]);
          expect(rows.rows[0].n).toBe(dumps.length);
          // A second run changes nothing (idempotent).
          expect((await pruneTargetDumps(h.pool, target, policy)).pruned).toEqual([]);
        },
      ),
      { seed: 14, numRuns: 25 },
    );
  }, 180_000);

  it('the capacity forecast of a target with a policy levels off at what the policy keeps', async () => {
    const target = 'capacity-kept';
    const days = 40;
    for (let d = 0; d < days; d++)
      await insertBackupRun(h.pool, {
        backupId: `${target}#${d}`,
        target,
        startedAt: new Date(T0 + d * 24 * HOUR + 2 * HOUR),
        endedAt: null,
        status: 'completed',
        durationSeconds: 60,
        sizeBytes: 2e9,
        workflowRunId: `${target}-run-${d}`,
        artifactPath: `/nowhere/${target}/${d}.dump`,
      });
    const settings = parseSettings({ targets: [{ name: target, kind: 'postgres', url: 'postgres://u@h/x', keep: { daily: 7 }, capacityGb: 100 }] });
    const now = new Date(T0 + days * 24 * HOUR);
    const { entry } = await forecastTargetCapacity(h.pool, settings.targets[0]!, { horizonDays: 14, filesystem: null, backupDir: h.backupDir, now });
    expect(entry.series).toBe('kept-under-policy');
    expect(entry.lastValueGb).toBe(14); // 7 dumps of 2 GB, not the 80 GB a running sum would say
    expect(entry.retention).toEqual({ policy: 'keep 7 daily', keptNow: 7, steadyStateGb: 14 });
    expect(entry.forecast!.predictedSizeGb).toBeLessThan(20);
    expect(entry.alert).toBe(false);
  });

  it('an expired lease protects nothing', async () => {
    const target = 'lease-expired';
    const dumps = await seedDumps(target, [0, 1, 2]);
    await drill(target, dumps[0]!.backupId, 'running', -60);
    const report = await pruneTargetDumps(h.pool, target, { last: 1 });
    expect(report.pruned.map((p) => p.backupId).sort()).toEqual([dumps[0]!.backupId, dumps[1]!.backupId]);
  });

  it('sentinel backup prune --dry-run --json and backup list --json through the real CLI', async () => {
    const target = 'cli-prune';
    const dumps = await seedDumps(target, [0, 24, 48, 72]);
    await drill(target, dumps[0]!.backupId, 'passed');
    await h.writeConfig({ targets: [{ name: target, kind: 'postgres', url: 'postgres://u@127.0.0.1:1/x', keep: { last: 1 } }] });
    const env = { SENTINEL_CONFIG: h.configPath, DATABASE_URL: h.databaseUrl };
    const dry = await runCli(['backup', 'prune', '--target', target, '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const [report] = JSON.parse(dry.stdout);
    expect(report).toMatchObject({ target, dryRun: true, policy: 'keep 1 last' });
    expect(report.kept.map((k: { backupId: string; reasons: string[] }) => [k.backupId, k.reasons])).toEqual([
      [dumps[3]!.backupId, ['last #1']],
      [dumps[0]!.backupId, ['newest dump that passed a restore drill']],
    ]);
    expect(report.pruned.map((p: { backupId: string }) => p.backupId)).toEqual([dumps[2]!.backupId, dumps[1]!.backupId]);
    expect((await readdir(path.join(h.backupDir, target))).length).toBe(4); // dry run: nothing removed

    expect((await runCli(['backup', 'prune', '--target', target, '--json'], env)).code).toBe(0);
    const listed = await runCli(['backup', 'list', '--target', target, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(
      JSON.parse(listed.stdout).map((d: { backupId: string; pruned: boolean; drillStatus: string | null }) => [d.backupId, d.pruned, d.drillStatus]),
    ).toEqual([
      [dumps[3]!.backupId, false, null],
      [dumps[2]!.backupId, true, null],
      [dumps[1]!.backupId, true, null],
      [dumps[0]!.backupId, false, 'passed'],
    ]);
    const refused = await runCli(['backup', 'prune', '--target', 'nope', '--json'], env);
    expect(refused.code).toBe(2);
  }, 120_000);
});
