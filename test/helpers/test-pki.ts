import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** Certificates made with `openssl` for one test run: a CA, a server and a client certificate it signed, and strangers. */
export interface TestPki {
  dir: string;
  /** The CA that signed `server` and `client`. */
  caCert: string;
  /** A CA that signed nothing here: the wrong CA for this server. */
  otherCaCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by the other CA (the server refuses it). */
  strangerCert: string;
  strangerKey: string;
}

/**
 * Writes the PKI into `dir`. Certificates are X.509 v3 (extensions given), as rustls, the worker's TLS library,
 * accepts no other; the server's carries 127.0.0.1 and localhost.
 */
export function createTestPki(dir: string): TestPki {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(
    file('server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  writeFileSync(file('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  for (const ca of ['ca', 'other-ca'])
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file(`${ca}.key`),
      '-out',
      file(`${ca}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=Sentinel test ${ca}`,
    );
  const issue = (name: string, ca: string, ext: string, cn: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${cn}`);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.pem`),
      '-CAkey',
      file(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      file(ext),
    );
  };
  issue('server', 'ca', 'server.ext', 'localhost');
  issue('client', 'ca', 'client.ext', 'sentinel-worker');
  issue('stranger', 'other-ca', 'client.ext', 'stranger');
  return {
    dir,
    caCert: file('ca.pem'),
    otherCaCert: file('other-ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    strangerCert: file('stranger.pem'),
    strangerKey: file('stranger.key'),
  };
}
