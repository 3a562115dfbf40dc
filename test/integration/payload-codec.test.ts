import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreBackupResult, PreBackupState } from '../../domain/pre-backup/contract.js';
import { startCodecServer, type CodecServer } from '../../platform/codec/codec-server.js';
import { createPayloadCodec, ENCRYPTED_ENCODING, METADATA_ENCRYPTION_KEY_ID } from '../../platform/codec/payload-codec.js';
import { payloadToJson, type JsonPayload } from '../../platform/codec/payload-json.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';

// The canary must never reach Temporal in plaintext: it rides in the workflow input and in a signal.
const CANARY = 'CANARY-payload-codec-5Jx9QvT2';
const RISKY = { successRate: 0.2, recentFailures: 4 };
const UI_ORIGIN = 'http://127.0.0.1:8233';
const TOKEN = 'integration-codec-token';

let h: Harness;
let workflowId: string;
let startedInput: Payload;

beforeAll(async () => {
  expect(process.env.CONFIG_BACKUP_KEY, 'vitest.config.ts sets a test keyring for integration runs').toMatch(/^sentinel-test:/);
  h = await createHarness('codec');
  await h.writeConfig({ targets: [{ name: 'codec-cmd', kind: 'command', command: 'true', policy: 'manual', threshold: 0.5 }] });
  await h.startWorker();

  // Runs the gate to a rejection whose reason (the canary) comes back in the result, so decoding is visible.
  workflowId = `pre-backup/codec-cmd/${new Date().toISOString()}-canary`;
  const handle = await h.client.workflow.start('preBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId,
    args: [{ target: 'codec-cmd', context: RISKY, approvalTimeoutMs: 120_000, operatorNote: CANARY }],
  });
  await eventually(async () => (await handle.query<PreBackupState>('state')).phase === 'awaiting-approval', 60_000);
  await handle.signal('reject', { by: 'ops', reason: CANARY });
  await handle.result();
  const history = await handle.fetchHistory();
  startedInput = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]! as Payload;
});

afterAll(async () => h?.close());

/** The history's wire bytes hold every payload's data as it is stored; its JSON form holds every text field. */
function leaksCanary(message: Uint8Array, json: string): boolean {
  return Buffer.from(message).includes(CANARY) || json.includes(CANARY);
}

describe('payload encryption on the dev server', () => {
  it('keeps the canary out of the Temporal history while the keyed client decodes the result', async () => {
    const handle = h.client.workflow.getHandle(workflowId);
    const result: PreBackupResult = await handle.result();
    expect(result.decision).toBe('rejected');
    expect(result.skipReason).toBe(`rejected by ops: ${CANARY}`);

    const history = await handle.fetchHistory();
    const wire = proto.temporal.api.history.v1.History.encode(history).finish();
    expect(leaksCanary(wire, JSON.stringify(history))).toBe(false);
    // The same check finds the canary in an unencrypted payload, so it can fail.
    const plain = defaultPayloadConverter.toPayload({ reason: CANARY });
    expect(leaksCanary(proto.temporal.api.common.v1.Payload.encode(plain).finish(), JSON.stringify(payloadToJson(plain)))).toBe(true);

    expect(Buffer.from(startedInput.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(startedInput.metadata![METADATA_ENCRYPTION_KEY_ID]!).toString()).toBe('sentinel-test');
    const signal = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes!;
    expect(Buffer.from(signal.input!.payloads![0]!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
  });

  it('gives a client without the key, or with another key, a clear error instead of the result', async () => {
    const keyless = new Client({ connection: h.connection, dataConverter: sentinelDataConverter({}) });
    await expect(keyless.workflow.getHandle(workflowId).result()).rejects.toThrow(
      'cannot decode a Temporal payload (key id "sentinel-test"): it is encrypted but CONFIG_BACKUP_KEY is not set',
    );
    const otherKey = new Client({
      connection: h.connection,
      dataConverter: sentinelDataConverter({ CONFIG_BACKUP_KEY: `sentinel-test:${Buffer.alloc(32, 9).toString('base64')}` }),
    });
    await expect(otherKey.workflow.getHandle(workflowId).result()).rejects.toThrow('authentication failed (wrong key or tampered data)');
  });

  it('a worker without the key fails the workflow task with an error naming CONFIG_BACKUP_KEY, and runs nothing', async () => {
    const keyless = await createHarness('codec-keyless');
    try {
      const saved = process.env.CONFIG_BACKUP_KEY;
      delete process.env.CONFIG_BACKUP_KEY;
      try {
        await keyless.startWorker();
      } finally {
        process.env.CONFIG_BACKUP_KEY = saved;
      }
      const handle = await keyless.client.workflow.start('preBackupWorkflow', {
        taskQueue: keyless.taskQueue,
        workflowId: `pre-backup/codec-cmd/${new Date().toISOString()}-keyless-worker`,
        args: [{ target: 'codec-cmd' }],
      });
      const failure = await eventually(async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        return events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
      }, 60_000);
      expect(failure).toContain('CONFIG_BACKUP_KEY is not set');
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      await handle.terminate('test done');
    } finally {
      await keyless.close();
    }
  });
});

describe('codec endpoint', () => {
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer({ codec: createPayloadCodec(process.env), port: 0, token: TOKEN, allowedOrigins: [UI_ORIGIN], namespaces: ['default'] });
  });
  afterAll(async () => server?.close());

  const post = (route: string, payloads: JsonPayload[], token = TOKEN) =>
    fetch(`${server.url}${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: UI_ORIGIN, Authorization: `Bearer ${token}` },
      body: JSON.stringify({ payloads }),
    });

  it('decodes the encrypted workflow input straight from the history, as the Web UI asks it to', async () => {
    const response = await post('/decode', [payloadToJson(startedInput)]);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(payloads[0]!.metadata!.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]!.data!, 'base64').toString())).toMatchObject({ target: 'codec-cmd', operatorNote: CANARY });
  });

  it('round-trips /encode then /decode, and what it encodes the worker-side codec decodes', async () => {
    const original = payloadToJson(defaultPayloadConverter.toPayload({ hello: CANARY }));
    const encoded = (await (await post('/encode', [original])).json()) as { payloads: JsonPayload[] };
    expect(JSON.stringify(encoded)).not.toContain(original.data);
    const decoded = (await (await post('/decode', encoded.payloads)).json()) as { payloads: JsonPayload[] };
    expect(decoded.payloads).toEqual([original]);
  });

  it('rejects a bad token and answers the CORS preflight', async () => {
    const refused = await post('/decode', [payloadToJson(startedInput)], 'wrong-token');
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(CANARY);
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toBe('content-type, x-namespace, authorization');
  });

  it('`sentinel codec-server` serves the endpoint until SIGTERM, and refuses to start without the key', async () => {
    const child = spawn(process.execPath, [path.resolve('bin/sentinel.js'), 'codec-server', '--port', '0', '--json'], {
      env: { ...process.env, LOG_LEVEL: 'warn', SENTINEL_CODEC_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const info = await eventually(
        async () => {
          try {
            return JSON.parse(stdout) as { url: string; activeKeyId: string; tokenRequired: boolean; namespaces: string[] };
          } catch {
            return undefined;
          }
        },
        60_000,
        100,
      );
      expect(info).toMatchObject({ activeKeyId: 'sentinel-test', tokenRequired: true, namespaces: ['default'] });
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${info.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ payloads: [payloadToJson(startedInput)] }),
      });
      expect(response.status).toBe(200);
      const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
      expect(Buffer.from(payloads[0]!.data!, 'base64').toString()).toContain(CANARY);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    const keyless = await runCli(['codec-server', '--port', '0'], { CONFIG_BACKUP_KEY: '' });
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toContain('CONFIG_BACKUP_KEY is not set');
  });
});
