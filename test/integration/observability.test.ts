import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preBackupWorkflowId } from '../../domain/pre-backup/contract.js';
import { createLogger } from '../../platform/logger.js';
import { startMetricsServer } from '../../platform/telemetry-server.js';
import { registry } from '../../platform/telemetry.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  h = await createHarness('observability');
  await h.writeConfig({ targets: [{ name: 'observed', kind: 'command', command: 'true' }] });
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
      activityType: 'predictBackupFailure',
      target: 'observed',
    });
    expect(logLines.find((l) => l.msg === 'run recorded' && l.workflowId === handle.workflowId)).toBeTruthy();
  });

  it('exposes project metrics for Prometheus', async () => {
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    try {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(text).toMatch(/sentinel_predictions_total\{risk_level="low",model="rules"\} [1-9]/);
      expect(text).toMatch(/sentinel_gate_decisions_total\{decision="proceed"\} [1-9]/);
      expect(text).toMatch(/sentinel_backups_total\{status="completed"\} [1-9]/);
      expect(text).toMatch(/sentinel_activity_duration_seconds_count\{activity="runBackup",outcome="completed"\} [1-9]/);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
    expect(await registry.getSingleMetricAsString('sentinel_predictions_total')).toContain('risk_level="low"');
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
