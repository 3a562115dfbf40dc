import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { generateClusterCertificates } from '../../scripts/cluster/certificates.js';
import { clusterControl } from '../../scripts/cluster/control.js';
import { runCli } from '../helpers/cli.js';
import { connectClusterClient } from '../helpers/cluster.js';

const run = promisify(execFile);
const cluster = inject('cluster');
const TEMPORAL = inject('temporalBinary');
let strangerDir: string;
// In TLS 1.3 the client's certificate goes out after the client considers the handshake done, so which it reads
// first depends on timing: the server's alert (certificate required, bad certificate) or the closed connection.
const REFUSED = /failed reaching server: .*(tls: (certificate required|bad certificate|unknown certificate authority)|broken pipe|connection reset by peer)/;

/** The `temporal` CLI with the given flags: exit code and output, never a throw. */
async function temporal(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TEMPORAL, args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  strangerDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-stranger-pki-'));
});
afterAll(async () => {
  await rm(strangerDir, { recursive: true, force: true });
});

describe('the production topology: Temporal server on PostgreSQL, mTLS required', () => {
  it('is the real server (not the dev server) on PostgreSQL, and answers a client with the certificate', async () => {
    const described = await temporal(['operator', 'cluster', 'describe', '-o', 'json', ...cluster.cliArgs]);
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout)).toMatchObject({ serverVersion: cluster.version, persistenceStore: 'postgres12', visibilityStore: 'postgres12' });
    expect(cluster.version).toBe('1.30.4');

    const listed = await temporal(['workflow', 'list', ...cluster.cliArgs]);
    expect(listed).toMatchObject({ code: 0 });
    const attributes = await temporal(['operator', 'search-attribute', 'list', ...cluster.cliArgs]);
    for (const name of ['BackupTarget', 'FailureRisk', 'FailureProbability', 'BackupDecision']) expect(attributes.stdout).toContain(name);

    const connection = await Connection.connect({
      address: cluster.address,
      tls: {
        serverNameOverride: cluster.serverName,
        serverRootCACertificate: await readFile(cluster.caCertPath),
        clientCertPair: { crt: await readFile(cluster.clientCertPath), key: await readFile(cluster.clientKeyPath) },
      },
    });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBe(cluster.version);
    } finally {
      await connection.close();
    }
  });

  it('refuses the temporal CLI without a client certificate, in plaintext, and with a certificate from another CA', async () => {
    const { cliArgs } = cluster;
    const withoutCert = cliArgs.filter(
      (_, i) => !['--tls-cert-path', '--tls-key-path'].includes(cliArgs[i] ?? '') && !['--tls-cert-path', '--tls-key-path'].includes(cliArgs[i - 1] ?? ''),
    );
    expect(withoutCert).not.toContain(cluster.clientCertPath);
    const noCert = await temporal(['workflow', 'list', ...withoutCert]);
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toMatch(REFUSED);

    const plaintext = await temporal(['workflow', 'list', '--address', cluster.address]);
    expect(plaintext.code).not.toBe(0);
    expect(plaintext.stderr).toMatch(/failed reaching server/);

    const stranger = await generateClusterCertificates(strangerDir);
    const strangerArgs = cliArgs.map((arg) =>
      arg === cluster.clientCertPath ? stranger.clientCertPath : arg === cluster.clientKeyPath ? stranger.clientKeyPath : arg,
    );
    const foreign = await temporal(['workflow', 'list', ...strangerArgs]);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(REFUSED);
  });

  it('`sentinel` without a client certificate (or in plaintext) is refused with one line saying what to set', async () => {
    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _cert, TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...withoutCert } = cluster.clientEnv;
    const noCert = await runCli(['schedules', 'list'], { ...withoutCert, TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined });
    expect(noCert.code).toBe(1);
    expect(noCert.stdout).toBe('');
    expect(noCert.stderr.trim().split('\n')).toEqual([
      `error: cannot connect to Temporal at ${cluster.address}: the server requires a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or --tls-cert-path and --tls-key-path)`,
    ]);
    const plaintext = await runCli(['schedules', 'list'], { TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: cluster.namespace });
    expect(plaintext.code).toBe(1);
    expect(plaintext.stderr.trim().split('\n')).toHaveLength(1);
    expect(plaintext.stderr).toContain(`cannot connect to Temporal at ${cluster.address}: the server closed the plaintext connection`);
    // The same settings as flags, mirroring the `temporal` CLI, get through.
    const { cliArgs } = cluster;
    const flags = await runCli(['schedules', 'list', ...cliArgs], { TEMPORAL_ADDRESS: undefined });
    expect(flags).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses an SDK client without a client certificate (the SDK itself only says it could not connect)', async () => {
    const attempt = Connection.connect({
      address: cluster.address,
      connectTimeout: 10_000,
      tls: { serverNameOverride: cluster.serverName, serverRootCACertificate: await readFile(cluster.caCertPath) },
    }).then(async (connection) => {
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
    });
    await expect(attempt).rejects.toThrow(/Failed to connect before the deadline|certificate required/);
  });

  it('SIGKILLed and started again on the same databases: the same ports, namespace and workflows', async () => {
    const control = clusterControl(cluster.controlUrl);
    const { client, connection } = await connectClusterClient();
    try {
      // No worker polls this queue: the run just stays open, stored in PostgreSQL.
      const handle = await client.workflow.start('survivesServerKill', { taskQueue: `nobody-${Date.now()}`, workflowId: `cluster-kill-${Date.now()}` });
      const before = await control.pid();
      expect(before).toBeGreaterThan(0);
      expect(await control.kill()).toBe(before);
      expect(await control.pid()).toBeNull();
      await expect(temporal(['workflow', 'list', ...cluster.cliArgs])).resolves.toMatchObject({ code: 1 });
      await control.restart();
      expect(await control.pid()).not.toBe(before);
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      const listed = await temporal(['workflow', 'describe', '--workflow-id', handle.workflowId, ...cluster.cliArgs]);
      expect(listed.code).toBe(0);
      await handle.terminate('cluster test done');
    } finally {
      await connection.close();
    }
  });
});
