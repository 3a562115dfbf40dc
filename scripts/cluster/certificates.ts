import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a throw-away PKI for one test cluster: a CA, the frontend's certificate, and client certificates. */
export interface ClusterCertificates {
  caCertPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** What a user's worker or CLI presents (TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH). */
  clientCertPath: string;
  clientKeyPath: string;
  /** The server's own system workers (schedules, namespace deletion) connect to the mTLS frontend with this one. */
  systemWorkerCertPath: string;
  systemWorkerKeyPath: string;
  /** The name the server certificate is issued for (TEMPORAL_TLS_SERVER_NAME); it also covers IP 127.0.0.1. */
  serverName: string;
}

const SERVER_NAME = 'localhost';
const DAYS = '7';
// P-256 keys: generated in milliseconds, accepted by Go's crypto/tls (server) and rustls (the SDK's core).
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Generates the PKI with the `openssl` command (the tool an operator would use; Node has no certificate issuing API).
 * Leaf certificates carry the X.509 v3 extensions strict TLS stacks check: subjectAltName (hostname checks use it,
 * never the CN), extendedKeyUsage serverAuth/clientAuth, and CA:FALSE.
 */
export async function generateClusterCertificates(dir: string): Promise<ClusterCertificates> {
  const file = (name: string) => path.join(dir, name);
  await openssl([
    'req',
    '-x509',
    ...NEW_KEY,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    DAYS,
    '-subj',
    '/CN=Backup Sentinel test cluster CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = async (name: string, subject: string, extensions: string) => {
    await writeFile(file(`${name}.ext`), extensions);
    await openssl(['req', ...NEW_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject]);
    await openssl([
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      DAYS,
      '-extfile',
      file(`${name}.ext`),
    ]);
  };
  const common = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
  await leaf('server', `/CN=${SERVER_NAME}`, `${common}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:${SERVER_NAME}\n`);
  await leaf('client', '/CN=backup-sentinel-worker', `${common}extendedKeyUsage=clientAuth\n`);
  await leaf('system-worker', '/CN=temporal-system-worker', `${common}extendedKeyUsage=clientAuth\n`);
  return {
    caCertPath: file('ca.pem'),
    serverCertPath: file('server.pem'),
    serverKeyPath: file('server.key'),
    clientCertPath: file('client.pem'),
    clientKeyPath: file('client.key'),
    systemWorkerCertPath: file('system-worker.pem'),
    systemWorkerKeyPath: file('system-worker.key'),
    serverName: SERVER_NAME,
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('the test cluster needs the `openssl` command to generate its certificates (apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}
