import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preBackupWorkflowId } from '../../domain/pre-backup/contract.js';
import { createLogger } from '../../platform/logger.js';
import { targetMetricsSnapshot } from '../../capabilities/freshness/metrics.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { installTargetMetrics } from '../../platform/telemetry-targets.js';
import { startMetricsServer } from '../../platform/telemetry-server.js';
import { registry } from '../../platform/telemetry.js';
import { runCli } from '../helpers/cli.js';
import { decideUpdate, preBackupWorkflow, stateQuery } from '../../workflows/pre-backup.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

let h: Harness;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  h = await createHarness('observability');
  await h.writeConfig({
    targets: [
      { name: 'observed', kind: 'command', command: 'true' },
      { name: 'gated', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 },
    ],
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  await h.startWorker({ log: createLogger(sink, 'info') });
});

afterAll(async () => h?.close());

describe('observability', () => {
  it('logs activity lines as JSON carrying the workflow and run IDs', async () => {
    const handle = await h.client.workflow.start('preBackupWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: preBackupWorkflowId('observed', new Date()),
      args: [{ target: 'observed' }],
    });
    await handle.result();
    const prediction = logLines.find((l) => l.msg === 'prediction' && l.workflowId === handle.workflowId);
    expect(prediction).toMatchObject({
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      activityType: 'resolveGateAndPredict',
      target: 'observed',
    });
    expect(logLines.find((l) => l.msg === 'run recorded' && l.workflowId === handle.workflowId)).toBeTruthy();
  });

  it('exposes project metrics for Prometheus', async () => {
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    try {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(text).toMatch(/sentinel_predictions_total\{target="observed",risk_level="low",model="rules"\} [1-9]/);
      expect(text).toMatch(/sentinel_failure_probability_ratio\{target="observed"\} 0\.\d+/);
      expect(text).toMatch(/sentinel_gate_decisions_total\{target="observed",decision="proceed"\} [1-9]/);
      expect(text).toMatch(/sentinel_backups_total\{target="observed",status="completed"\} [1-9]/);
      expect(text).toMatch(/sentinel_process_cpu_seconds_total [0-9]/);
      expect(text).not.toContain('sentinel_process_process_');
      expect(text).toMatch(/sentinel_activity_duration_seconds_count\{activity="runBackup",outcome="completed"\} [1-9]/);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
    expect(await registry.getSingleMetricAsString('sentinel_predictions_total')).toContain('risk_level="low"');
  });

  it('reads runs awaiting a decision from PostgreSQL at scrape time, per target', async () => {
    // As workers/main.ts does for the process that serves /metrics; a short TTL so the test sees changes soon.
    installTargetMetrics(() => targetMetricsSnapshot({ db: h.pool, loadSettings: cachedSettingsLoader(h.configPath) }), { ttlMs: 500 });
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    const scrape = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    try {
      const handle = await h.client.workflow.start(preBackupWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: preBackupWorkflowId('gated', new Date()),
        args: [{ target: 'gated', context: { successRate: 0.2, recentFailures: 4 } }],
      });
      await eventually(async () => (await handle.query(stateQuery)).phase === 'awaiting-approval', 60_000);
      await eventually(async () => /sentinel_gate_awaiting_approval\{target="gated"\} 1\b/.test(await scrape()), 30_000);
      expect(await scrape()).toMatch(/sentinel_gate_awaiting_approval_oldest_seconds\{target="gated"\} \d/);
      await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'tester' }] });
      await handle.result();
      // The run has its backup_runs row now: it no longer waits (after the readings' few seconds of caching).
      await eventually(async () => /sentinel_gate_awaiting_approval\{target="gated"\} 0\b/.test(await scrape()), 30_000);
      expect(await scrape()).not.toMatch(/sentinel_gate_awaiting_approval_oldest_seconds\{target="gated"\}/);
    } finally {
      await server.close();
    }
  });

  it('sentinel health reports Temporal, PostgreSQL and the model state', async () => {
    const env = { TEMPORAL_ADDRESS: h.temporalAddress, DATABASE_URL: h.databaseUrl, SENTINEL_CONFIG: h.configPath, SENTINEL_DATA_DIR: h.dir };
    const ok = await runCli(['health', '--json'], env);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report).toMatchObject({ healthy: true, temporal: { ok: true }, database: { ok: true }, model: { active: false } });
    const down = await runCli(['health', '--json'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({ healthy: false, temporal: { ok: false }, database: { ok: true } });
  });
});
