/**
 * Secured connections end to end, on real components: a CA, server and client certificates made with openssl, a
 * node:tls terminator that requires a client certificate signed by that CA (as an mTLS Temporal frontend does) in
 * front of the run's dev server, the real `sentinel` executable, SentinelClient and a real worker process. Then every
 * bad input of issue #13: one line naming the problem, a non-zero exit, nothing secret in the output.
 *
 * API keys: the dev server does not check them. A real HTTP/2 + TLS endpoint below plays a frontend that refuses
 * every key (gRPC UNAUTHENTICATED, as Temporal Cloud answers a wrong key) and records the `authorization` header it
 * was sent, so the test sees the key leave as `Bearer <key>` and the refusal become one line. It is a stand-in, not
 * Temporal: a key accepted by a real server is not tested here (docs/temporal-clusters.md says so).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { ConnectionSettingsError, SentinelClient, TemporalConnectError } from '../../client/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/test-database.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const API_KEY = 'tmprl-secret-api-key-5a4b3c2d1e';

let dir: string;
let pki: TestPki;
let database: IsolatedDatabase;
let terminator: net.Server;
let tlsAddress: string;
let keyChecker: http2.Http2SecureServer;
let keyCheckerAddress: string;
const authorizationSeen: string[] = [];
const workers: WorkerProcess[] = [];
let configPath: string;
let noProfiles: string;
const plaintextAddress = inject('temporalAddress');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-tls-'));
  pki = createTestPki(dir);
  const [upstreamHost, upstreamPort] = [plaintextAddress.slice(0, plaintextAddress.lastIndexOf(':')), Number(plaintextAddress.split(':').pop())];
  // mTLS in front of the dev server: TLS 1.2/1.3 with h2, client certificate required and checked against the CA.
  terminator = tls.createServer(
    {
      key: await readFile(pki.serverKey),
      cert: await readFile(pki.serverCert),
      ca: await readFile(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const upstream = net.connect(upstreamPort, upstreamHost);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    },
  );
  terminator.on('tlsClientError', () => undefined); // refused handshakes are what several tests do
  tlsAddress = await listen(terminator);

  keyChecker = http2.createSecureServer({ key: await readFile(pki.serverKey), cert: await readFile(pki.serverCert), ALPNProtocols: ['h2'] });
  keyChecker.on('stream', (stream, headers) => {
    authorizationSeen.push(String(headers.authorization ?? ''));
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'Request unauthorized' }, { endStream: true });
  });
  keyChecker.on('sessionError', () => undefined);
  keyCheckerAddress = await listen(keyChecker);

  database = await createIsolatedDatabase('tls');
  configPath = path.join(dir, 'sentinel.yaml');
  await writeFile(configPath, stringify({ targets: [{ name: 'tls-orders', kind: 'command', command: 'true', policy: 'delay', threshold: 0.99 }] }));
  await mkdir(path.join(dir, 'backups'), { recursive: true });
  // The developer's own ~/.config/temporalio/temporal.toml must not change what these tests connect to.
  noProfiles = path.join(dir, 'no-profiles.toml');
  await writeFile(noProfiles, '');
});

afterAll(async () => {
  for (const worker of workers) await worker.stop(5_000);
  terminator?.close();
  keyChecker?.close();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

function listen(server: net.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as net.AddressInfo).port}`)));
}

/** The environment of a client with the client certificate and the CA, as a user would set it. */
const mtlsEnv = () => ({
  TEMPORAL_CONFIG_FILE: noProfiles,
  TEMPORAL_ADDRESS: tlsAddress,
  TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
});

/** Asserts the CLI failed with exactly one `error:` line, no stack trace and no secret; returns that line. */
function oneErrorLine(run: CliRun, code: number): string {
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  assertNoSecret(run.stdout + run.stderr);
  return lines[0]!;
}

async function assertNoSecretAsync(text: string): Promise<void> {
  assertNoSecret(text);
  for (const file of [pki.clientKey, pki.serverKey, pki.strangerKey]) {
    const body = (await readFile(file, 'utf8')).split('\n')[1]!; // a line of the key's base64
    expect(text).not.toContain(body);
  }
}

function assertNoSecret(text: string): void {
  expect(text).not.toContain(API_KEY);
  expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY/);
  expect(text).not.toMatch(/\n\s+at \S+ \(/); // a stack frame
}

describe('mTLS through a TLS terminator that requires a client certificate', () => {
  it('the CLI connects with the client certificate and CA from TEMPORAL_TLS_* variables', async () => {
    const run = await runCli(['schedules', 'list', '--json'], mtlsEnv());
    expect(run.code, run.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(run.stdout))).toBe(true);
  });

  it('the CLI connects with the same settings as flags, and as a profile shared with the temporal CLI', async () => {
    const flags = await runCli(
      [
        '--address',
        tlsAddress,
        '--tls-cert-path',
        pki.clientCert,
        '--tls-key-path',
        pki.clientKey,
        '--tls-ca-path',
        pki.caCert,
        '--tls-server-name',
        'localhost',
        'schedules',
        'list',
        '--json',
      ],
      { TEMPORAL_CONFIG_FILE: noProfiles, TEMPORAL_ADDRESS: plaintextAddress },
    );
    expect(flags.code, flags.stderr).toBe(0);
    const profiles = path.join(dir, 'temporal.toml');
    // The profile written by the temporal CLI itself (`temporal config set`), as a user shares it between both tools.
    for (const [prop, value] of [
      ['address', tlsAddress],
      ['tls.client_cert_path', pki.clientCert],
      ['tls.client_key_path', pki.clientKey],
      ['tls.server_ca_cert_path', pki.caCert],
    ] as const)
      execFileSync(inject('temporalBinary'), ['config', 'set', '--profile', 'tls-test', '--prop', prop, '--value', value], {
        env: { ...process.env, TEMPORAL_CONFIG_FILE: profiles },
        stdio: 'ignore',
      });
    const profile = await runCli(['schedules', 'list', '--profile', 'tls-test', '--json'], { TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_ADDRESS: undefined });
    expect(profile.code, profile.stderr).toBe(0);
    const health = await runCli(['health', '--json'], {
      TEMPORAL_CONFIG_FILE: profiles,
      TEMPORAL_PROFILE: 'tls-test',
      TEMPORAL_ADDRESS: undefined,
      DATABASE_URL: database.url,
    });
    expect(JSON.parse(health.stdout).temporal).toMatchObject({ ok: true, address: tlsAddress });
  });

  it('a worker started with the TLS variables runs a pre-backup gate that SentinelClient starts through the terminator; the CLI reads its status', async () => {
    const taskQueue = `tls-${Date.now()}`;
    const worker = spawnWorkerProcess({
      name: 'tls-worker',
      temporalAddress: tlsAddress,
      taskQueue,
      databaseUrl: database.url,
      configPath,
      backupDir: path.join(dir, 'backups'),
      dataDir: dir,
      env: { ...mtlsEnv() },
    });
    workers.push(worker);
    await worker.ready;
    expect(worker.log()).toMatch(/"msg":"worker started"/);
    expect(worker.log()).toContain('"tls":"mtls"');
    const sentinel = await SentinelClient.connect({
      address: tlsAddress,
      tlsCertPath: pki.clientCert,
      tlsKeyPath: pki.clientKey,
      tlsCaPath: pki.caCert,
      taskQueue,
      env: { TEMPORAL_CONFIG_FILE: noProfiles },
    });
    try {
      const run = await sentinel.startPreBackup({ target: 'tls-orders' }, { scheduledAt: `tls-${Date.now()}` });
      const result = await sentinel.preBackupResult(run.workflowId);
      expect(result).toMatchObject({ decision: 'proceed', backup: { status: 'completed' } });
      const status = await runCli(['backup', 'status', run.workflowId, '--json'], mtlsEnv());
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ workflowId: run.workflowId });
    } finally {
      await sentinel.close();
    }
    await assertNoSecretAsync(worker.log());
  });
});

describe('bad input: one line naming the problem, non-zero exit, nothing secret', () => {
  it('a missing certificate file, a directory as key, a key of another certificate: exit 2 before connecting', async () => {
    const missing = path.join(dir, 'missing.pem');
    expect(oneErrorLine(await runCli(['schedules', 'list'], { ...mtlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: missing }), 2)).toBe(
      `error: cannot read the client certificate ${missing} (TEMPORAL_TLS_CLIENT_CERT_PATH): no such file`,
    );
    expect(oneErrorLine(await runCli(['schedules', 'list', '--tls-key-path', dir], mtlsEnv()), 2)).toBe(
      `error: cannot read the client key ${dir} (--tls-key-path): it is a directory`,
    );
    expect(oneErrorLine(await runCli(['schedules', 'list'], { ...mtlsEnv(), TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerKey }), 2)).toBe(
      'error: the client key (TEMPORAL_TLS_CLIENT_KEY_PATH) does not belong to the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)',
    );
  });

  it('a CA that did not sign the server, no client certificate, a certificate of another CA: exit 1, the reason named', async () => {
    expect(oneErrorLine(await runCli(['schedules', 'list'], { ...mtlsEnv(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.otherCaCert }), 1)).toBe(
      `error: cannot connect to Temporal at ${tlsAddress}: the server's certificate is not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH (SELF_SIGNED_CERT_IN_CHAIN)`,
    );
    expect(
      oneErrorLine(await runCli(['schedules', 'list'], { ...mtlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined }), 1),
    ).toBe(
      `error: cannot connect to Temporal at ${tlsAddress}: the server requires a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or --tls-cert-path and --tls-key-path)`,
    );
    const stranger = oneErrorLine(await runCli(['schedules', 'list', '--tls-cert-path', pki.strangerCert, '--tls-key-path', pki.strangerKey], mtlsEnv()), 1);
    // The terminator (node:tls) refuses it by closing the connection; a Go server sends a TLS alert: both name the certificate.
    expect(stranger).toMatch(
      new RegExp(`^error: cannot connect to Temporal at ${tlsAddress}: the server .*refused the client certificate \\(--tls-cert-path\\)`),
    );
  });

  it('--tls against a plaintext server, and plaintext against a TLS server: exit 1, within seconds', async () => {
    const started = Date.now();
    expect(oneErrorLine(await runCli(['schedules', 'list', '--tls'], { TEMPORAL_CONFIG_FILE: noProfiles, TEMPORAL_ADDRESS: plaintextAddress }), 1)).toBe(
      `error: cannot connect to Temporal at ${plaintextAddress}: TLS is on (--tls) but the server does not speak TLS: it is a plaintext server (turn TLS off, or check the address)`,
    );
    expect(oneErrorLine(await runCli(['schedules', 'list'], { TEMPORAL_CONFIG_FILE: noProfiles, TEMPORAL_ADDRESS: tlsAddress }), 1)).toMatch(
      new RegExp(`^error: cannot connect to Temporal at ${tlsAddress}: the server closed the plaintext connection without answering: it probably requires TLS`),
    );
    expect(Date.now() - started).toBeLessThan(60_000); // two CLI starts, never a connect timeout each
  });

  it('an empty API key (variable or flag) and a profile that does not exist: exit 2', async () => {
    const env = { TEMPORAL_CONFIG_FILE: noProfiles, TEMPORAL_ADDRESS: plaintextAddress };
    expect(oneErrorLine(await runCli(['schedules', 'list'], { ...env, TEMPORAL_API_KEY: '' }), 2)).toBe(
      'error: TEMPORAL_API_KEY is set but empty: set it to your API key, or unset it',
    );
    expect(oneErrorLine(await runCli(['schedules', 'list', '--api-key', ''], env), 2)).toBe('error: --api-key is empty: give a value or leave the flag out');
    expect(oneErrorLine(await runCli(['--profile', 'nope', 'schedules', 'list'], env), 2)).toBe(
      `error: profile "nope" (from --profile) not found in ${noProfiles}`,
    );
  });

  it('an API key travels as `authorization: Bearer <key>`; a refused key is one line that never shows the key', async () => {
    authorizationSeen.length = 0;
    const run = await runCli(['schedules', 'list', '--api-key', API_KEY, '--tls-ca-path', pki.caCert], {
      TEMPORAL_CONFIG_FILE: noProfiles,
      TEMPORAL_ADDRESS: keyCheckerAddress,
    });
    expect(oneErrorLine(run, 1)).toBe(
      `error: cannot connect to Temporal at ${keyCheckerAddress}: the server rejected the API key (--api-key): Request unauthorized`,
    );
    expect(authorizationSeen).toContain(`Bearer ${API_KEY}`);
  });

  it('SentinelClient rejects the same way: ConnectionSettingsError for settings, TemporalConnectError for the server', async () => {
    const env = { TEMPORAL_CONFIG_FILE: noProfiles };
    await expect(SentinelClient.connect({ address: tlsAddress, tlsCertPath: path.join(dir, 'missing.pem'), tlsKeyPath: pki.clientKey, env })).rejects.toThrow(
      ConnectionSettingsError,
    );
    const wrongCa = SentinelClient.connect({ address: tlsAddress, tlsCertPath: pki.clientCert, tlsKeyPath: pki.clientKey, tlsCaPath: pki.otherCaCert, env });
    await expect(wrongCa).rejects.toThrow(TemporalConnectError);
    await expect(wrongCa).rejects.toThrow(/not signed by the CA in --tls-ca-path/);
  });

  it('a worker with a missing certificate, or without one against the mTLS server, logs one error line and exits non-zero', async () => {
    for (const [name, env, expected] of [
      [
        'tls-worker-missing-cert',
        { ...mtlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem') },
        /cannot read the client certificate .*missing\.pem \(TEMPORAL_TLS_CLIENT_CERT_PATH\): no such file/,
      ],
      [
        'tls-worker-no-cert',
        { ...mtlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined },
        /the server requires a client certificate \(mTLS\)/,
      ],
      [
        'tls-worker-api-key',
        { TEMPORAL_CONFIG_FILE: noProfiles, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert },
        /the server rejected the API key \(TEMPORAL_API_KEY\)/,
      ],
    ] as const) {
      const worker = spawnWorkerProcess({
        name,
        temporalAddress: name === 'tls-worker-api-key' ? keyCheckerAddress : tlsAddress,
        taskQueue: `tls-bad-${Date.now()}`,
        databaseUrl: database.url,
        configPath,
        backupDir: path.join(dir, 'backups'),
        dataDir: dir,
        env,
        readyTimeoutMs: 60_000,
      });
      workers.push(worker);
      await expect(worker.ready).rejects.toThrow(/exited/);
      const { code } = await worker.exited;
      expect(code, worker.log()).not.toBe(0);
      const errors = worker
        .log()
        .split('\n')
        .filter((line) => line.includes('"level":50') || line.includes('"level":"error"'));
      expect(errors, worker.log()).toHaveLength(1);
      expect(JSON.parse(errors[0]!)).toMatchObject({ msg: 'worker failed', err: expect.stringMatching(expected) });
      await assertNoSecretAsync(worker.log());
    }
  });
});
