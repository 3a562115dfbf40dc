/**
 * Issue #11 item 3: a backup command whose output holds a token of every well-known format plus values the worker
 * knows to be secret (a target URL's password, CONFIG_BACKUP_KEY, a sensitive environment variable, the alert
 * webhook URL). None of them may reach Temporal history (raw, as the server stores it, and decoded with the codec),
 * `backup_runs.error_message`, `alerts` rows, the webhook's payload or the worker's log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preBackupWorkflowId, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { createPayloadCodec } from '../../platform/codec/payload-codec.js';
import { createLogger } from '../../platform/logger.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const alnum = (n: number, seed = 'Qw7Er9Ty2U') => rep(seed, n);

const TARGET_PASSWORD = 'TargetPw-5d8c1e';
const ENV_SECRET = 'EnvSecret-3b71fa';
const KEY_SPEC = process.env.CONFIG_BACKUP_KEY!;
const KEY_MATERIAL = KEY_SPEC.slice(KEY_SPEC.indexOf(':') + 1);

/** [name, secret]: each printed by the command, none may come out. */
const SECRETS: Array<[string, string]> = [
  ['github ghp_', `ghp_${alnum(36)}`],
  ['github gho_', `gho_${alnum(36, 'Zx4Cv6Bn8M')}`],
  ['github ghu_', `ghu_${alnum(36, 'Lk3Jh5Gf7D')}`],
  ['github ghs_', `ghs_${alnum(36, 'Sa2Po4Iu6Y')}`],
  ['github ghr_', `ghr_${alnum(36, 'Tr1Ew3Qa5S')}`],
  ['github_pat_', `github_pat_${alnum(22)}_${alnum(59, 'Mn0Bv9Cx8Z')}`],
  ['gitlab', `glpat-${alnum(20, 'Gl4bP5at6X')}`],
  ['slack xoxb', `xoxb-1234567890-${alnum(24, 'Sl4ckB0tTk')}`],
  ['slack xoxp', `xoxp-1234567890-${alnum(24, 'Sl4ckUs3rT')}`],
  ['slack webhook', `T0SECRET/B0SECRET/${alnum(24, 'H00kS3cr3t')}`],
  ['aws key id', `AKIA${rep('QWERTYUIOP234567', 16)}`],
  ['aws temp key id', `ASIA${rep('ZXCVBNMASD765432', 16)}`],
  ['aws secret key', alnum(40, 'AwsS3cr3tK')],
  ['google api key', `AIza${alnum(35, 'G00gl3ApiK')}`],
  ['jwt', `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWRhY3Rpb24tdGVzdCJ9.${alnum(43, 'JwtS1gn4tr')}`],
  ['bearer header', `Br3arerTok-${alnum(20, 'BearerTokn')}`],
  ['basic header', Buffer.from('backup:basic-pass-77').toString('base64')],
  ['pem body', `MIIEpAIBAAKCAQEA${alnum(48, 'PemB0dyL1n')}`],
  ['postgres url password', 'UrlPassw0rd-91'],
  ['mongodb+srv url password', 'M0ngoPass-42'],
  ['libpq password=', 'LibpqPass-17'],
  ['target url password (known value)', TARGET_PASSWORD],
  ['CONFIG_BACKUP_KEY material (known value)', KEY_MATERIAL],
  ['sensitive environment variable (known value)', ENV_SECRET],
];
const secret = (name: string) => SECRETS.find(([n]) => n === name)![1];

let h: Harness;
const logText: string[] = [];
const webhookBodies: string[] = [];
let webhook: http.Server;
let webhookUrl: string;
let previousEnv: string | undefined;

beforeAll(async () => {
  h = await createHarness('secret-redaction');
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      webhookBodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook/WebhookPath-6e2a9c`;
  previousEnv = process.env.SENTINEL_TEST_DB_PASSWORD;
  process.env.SENTINEL_TEST_DB_PASSWORD = ENV_SECRET; // read when the worker builds its redactor

  const lines = [
    `token ${secret('github ghp_')} ${secret('github gho_')} ${secret('github ghu_')} ${secret('github ghs_')} ${secret('github ghr_')}`,
    `fine-grained ${secret('github_pat_')} gitlab ${secret('gitlab')}`,
    `slack ${secret('slack xoxb')} ${secret('slack xoxp')} https://hooks.slack.com/services/${secret('slack webhook')}`,
    `aws ${secret('aws key id')} ${secret('aws temp key id')} aws_secret_access_key=${secret('aws secret key')}`,
    `google ${secret('google api key')} jwt ${secret('jwt')}`,
    `Authorization: Bearer ${secret('bearer header')}`,
    `Authorization: Basic ${secret('basic header')}`,
    '-----BEGIN RSA PRIVATE KEY-----',
    secret('pem body'),
    '-----END RSA PRIVATE KEY-----',
    `postgres://backup:${secret('postgres url password')}@db.internal:5432/app mongodb+srv://u:${secret('mongodb+srv url password')}@cluster0.example.net/x`,
    `host=db user=app password=${secret('libpq password=')} dbname=app`,
    `target password ${TARGET_PASSWORD}`,
    'key "$CONFIG_BACKUP_KEY"',
    'env "$SENTINEL_TEST_DB_PASSWORD"',
    `webhook ${webhookUrl}`,
  ];
  await h.writeConfig({
    targets: [
      // The command prints everything on stderr and fails, as in the issue; `pg-secret` checks names stay readable.
      {
        name: 'pg-secret',
        kind: 'command',
        command: `printf '%s\\n' ${lines.map((l) => `"${l.replace(/"/g, '\\"').replace(/\$(?!CONFIG_BACKUP_KEY|SENTINEL_TEST)/g, '\\$')}"`).join(' ')} >&2; exit 3`,
        policy: 'delay',
      },
      // Never backed up here: its password is a value the worker knows to be secret.
      { name: 'other-db', kind: 'postgres', url: `postgres://backup:${TARGET_PASSWORD}@127.0.0.1:1/none` },
    ],
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logText.push(String(chunk));
      done();
    },
  });
  await h.startWorker({ alertWebhookUrl: webhookUrl, log: createLogger(sink, 'debug') });
});

afterAll(async () => {
  if (previousEnv === undefined) delete process.env.SENTINEL_TEST_DB_PASSWORD;
  else process.env.SENTINEL_TEST_DB_PASSWORD = previousEnv;
  await h?.close();
  webhook?.close();
});

function collect(node: unknown, texts: string[], payloads: Payload[]): void {
  if (node instanceof Uint8Array) texts.push(Buffer.from(node).toString('utf8'));
  else if (typeof node === 'string') texts.push(node);
  else if (Array.isArray(node)) for (const item of node) collect(item, texts, payloads);
  else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.metadata && typeof record.metadata === 'object' && record.data instanceof Uint8Array) payloads.push(record as Payload);
    for (const value of Object.values(record)) collect(value, texts, payloads);
  }
}

describe("secrets in a backup command's output", () => {
  let result: PreBackupResult;
  let workflowId: string;
  const places: Record<string, string> = {};

  beforeAll(async () => {
    workflowId = preBackupWorkflowId('pg-secret', new Date());
    const handle = await h.client.workflow.start('preBackupWorkflow', { taskQueue: h.taskQueue, workflowId, args: [{ target: 'pg-secret' }] });
    result = await handle.result();

    const history = await h.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    const texts: string[] = [];
    const payloads: Payload[] = [];
    collect(history, texts, payloads);
    places['raw history'] = texts.join('\n');
    const decoded = await createPayloadCodec(process.env).decode(payloads);
    places['decoded history payloads'] = decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    places['history via the client (codec)'] = JSON.stringify(await handle.fetchHistory());
    places['workflow result'] = JSON.stringify(result);
    places.backup_runs = (await h.pool.query(`SELECT t::text AS row FROM backup_runs t WHERE workflow_id = $1`, [workflowId])).rows
      .map((r) => r.row)
      .join('\n');
    places.alerts = (await h.pool.query(`SELECT t::text AS row FROM alerts t WHERE workflow_id = $1`, [workflowId])).rows.map((r) => r.row).join('\n');
    places['webhook payloads'] = webhookBodies.join('\n');
    places['worker log'] = logText.join('');
  });

  it('the backup failed, was recorded and alerted (so every place was written)', async () => {
    expect(result.backup?.status).toBe('failed');
    expect(result.backup?.error).toContain('exited with code 3');
    expect(places.backup_runs).toContain('exited with code 3');
    expect(places.alerts).toContain('backup-failed');
    expect(places['webhook payloads']).toContain('backup-failed');
    expect(places['worker log']).toContain('backup started');
    expect(places['decoded history payloads']).toContain('exited with code 3'); // control: the decode really decoded
  });

  for (const [name, value] of SECRETS) {
    it(`${name}: in none of history (raw and decoded), backup_runs, alerts, webhook, worker log`, () => {
      const hits = Object.entries(places)
        .filter(([, text]) => text.includes(value))
        .map(([where]) => where);
      expect(hits).toEqual([]);
    });
  }

  it('the alert webhook URL is not in what was stored or logged', () => {
    for (const where of ['raw history', 'backup_runs', 'alerts', 'worker log', 'webhook payloads'])
      expect(places[where], where).not.toContain('WebhookPath-6e2a9c');
    expect(places['raw history']).not.toContain(KEY_SPEC);
  });

  it('names stay readable: the target pg-secret keeps its name in the alert, the message keeps its shape', () => {
    expect(places.alerts).toContain('pg-secret: backup failed');
    expect(result.backup?.error).toContain('token ***');
    expect(result.backup?.error).toContain('Authorization: Bearer ***');
    expect(result.backup?.error).toContain('postgres://backup:***@db.internal:5432/app');
  });
});
