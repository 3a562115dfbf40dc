/**
 * Why a Temporal connection failed, in one line. Hand-written on purpose: the client library (grpc-js) reports
 * every transport failure (wrong CA, refused client certificate, TLS against a plaintext server and the reverse,
 * nothing listening) as the same "Failed to connect before the deadline" after its timeout, and the worker's Rust
 * core reports them as nested transport-error dumps. This probe repeats the connection with node:tls (what grpc-js
 * itself uses), with the same address, CA, client certificate and server name, and names the first step that fails.
 * It sends only the HTTP/2 connection preface, never the API key, and gives up after `timeoutMs`.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TemporalConnectionSettings } from './temporal-connection.js';

/** The HTTP/2 client preface and an empty SETTINGS frame: any HTTP/2 server answers it with a SETTINGS frame. */
const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

const NOT_SIGNED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** The transport problem with these settings, or undefined when TCP, TLS and HTTP/2 all work (the failure is elsewhere). */
export async function diagnoseTransport(settings: TemporalConnectionSettings, timeoutMs = 5000): Promise<string | undefined> {
  const { host, port } = splitAddress(settings.address);
  const deadline = Date.now() + timeoutMs;
  const socket = await openTcp(host, port, timeoutMs).catch((error: Error) => error);
  if (socket instanceof Error) return socket.message;
  try {
    if (settings.tls === false) return await plaintextProblem(socket, settings, deadline);
    return await tlsProblem(socket, host, settings, deadline);
  } finally {
    socket.destroy();
  }
}

function openTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection within ${timeoutMs / 1000} s (is the address right, and the port open?)`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = error.code ?? '';
      if (code === 'ECONNREFUSED') reject(new Error('connection refused (nothing listens there: is the address right, and the server up?)'));
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reject(new Error(`cannot resolve the host name "${host}"`));
      else reject(new Error(`TCP connection failed (${code || error.message})`));
    });
  });
}

/** First bytes the server sends after the preface, or how the connection ended. */
function firstAnswer(socket: net.Socket, deadline: number): Promise<{ data?: Buffer; error?: NodeJS.ErrnoException; closed?: boolean; timedOut?: boolean }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ timedOut: true }), Math.max(100, deadline - Date.now()));
    const done = (result: { data?: Buffer; error?: NodeJS.ErrnoException; closed?: boolean }) => {
      clearTimeout(timer);
      resolve(result);
    };
    socket.once('data', (data: Buffer) => done({ data }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ error }));
    socket.once('close', () => done({ closed: true }));
    socket.write(H2_PREFACE, () => undefined);
  });
}

const isH2Settings = (data: Buffer) => data.length >= 9 && data[3] === 0x04;

async function plaintextProblem(socket: net.Socket, settings: TemporalConnectionSettings, deadline: number): Promise<string | undefined> {
  const answer = await firstAnswer(socket, deadline);
  const turnOn = 'turn TLS on (--tls or TEMPORAL_TLS=true, plus --tls-ca-path / TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA)';
  const off = settings.sources.tls ? ` (TLS is off by ${settings.sources.tls})` : '';
  if (answer.data) {
    if (isH2Settings(answer.data)) return undefined;
    if (answer.data[0] === 0x15 || answer.data[0] === 0x16 || answer.data.includes('HTTPS server'))
      return `the server speaks TLS but this connection is plaintext${off}: ${turnOn}`;
    if (answer.data.subarray(0, 5).toString() === 'HTTP/') return 'the server answered HTTP/1, not gRPC (is this the Web UI or an HTTP port?)';
    return 'the server answered something other than HTTP/2 (is this a Temporal frontend port?)';
  }
  if (answer.error || answer.closed) return `the server closed the plaintext connection without answering${off}: it probably requires TLS; ${turnOn}`;
  return undefined;
}

async function tlsProblem(socket: net.Socket, host: string, settings: TemporalConnectionSettings, deadline: number): Promise<string | undefined> {
  const config = settings.tls || {};
  const serverName = config.serverNameOverride ?? host;
  const options: tls.ConnectionOptions = {
    socket,
    ALPNProtocols: ['h2'],
    // SNI must be a host name; with an IP address grpc-js and this probe verify the certificate's IP entries.
    ...(net.isIP(serverName) ? {} : { servername: serverName }),
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(serverName, cert),
    ...(config.serverRootCACertificate ? { ca: Buffer.from(config.serverRootCACertificate) } : {}),
    ...(config.clientCertPair ? { cert: Buffer.from(config.clientCertPair.crt), key: Buffer.from(config.clientCertPair.key) } : {}),
  };
  const secure = tls.connect(options);
  try {
    const handshake = await new Promise<{ error?: NodeJS.ErrnoException; closed?: boolean; timedOut?: boolean }>((resolve) => {
      const timer = setTimeout(() => resolve({ timedOut: true }), Math.max(100, deadline - Date.now()));
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve({});
      });
      secure.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ error });
      });
      secure.once('close', () => {
        clearTimeout(timer);
        resolve({ closed: true });
      });
    });
    if (handshake.timedOut) return 'the TLS handshake did not finish in time (is this a TLS port?)';
    if (handshake.error) return tlsErrorProblem(handshake.error, settings, serverName);
    if (handshake.closed) return 'the server closed the connection during the TLS handshake (is it a plaintext server?)';
    if (secure.alpnProtocol !== 'h2') return 'the server does not offer HTTP/2 over TLS (ALPN h2): is this a Temporal frontend port?';
    // TLS 1.3 servers check the client certificate after the handshake: their verdict arrives with the first answer.
    const answer = await firstAnswer(secure, deadline);
    if (answer.data) return undefined;
    if (answer.error) return tlsErrorProblem(answer.error, settings, serverName);
    // Some servers (Node's among them) refuse a client certificate by closing the connection, without an alert.
    if (answer.closed)
      return settings.tlsMode === 'mtls'
        ? `the server closed the connection right after the TLS handshake without answering: it most likely refused the client certificate (${settings.sources.clientCert})`
        : 'the server closed the connection right after the TLS handshake without answering: does it require a client certificate (mTLS)?';
    return undefined;
  } finally {
    secure.destroy();
  }
}

function tlsErrorProblem(error: NodeJS.ErrnoException, settings: TemporalConnectionSettings, serverName: string): string {
  const code = error.code ?? '';
  const text = `${code} ${error.message}`;
  const by = (key: keyof TemporalConnectionSettings['sources']) => settings.sources[key] ?? 'unset';
  if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long|unknown protocol|record layer failure/i.test(text))
    return `TLS is on${settings.sources.tls ? ` (${settings.sources.tls})` : ''} but the server does not speak TLS: it is a plaintext server (turn TLS off, or check the address)`;
  if (NOT_SIGNED.has(code))
    return settings.sources.serverCa
      ? `the server's certificate is not signed by the CA in ${by('serverCa')} (${code})`
      : `the server's certificate is not signed by a CA this system trusts (${code}): give the cluster's CA with --tls-ca-path or TEMPORAL_TLS_SERVER_CA_CERT_PATH`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's certificate is not issued for "${serverName}": set --tls-server-name or TEMPORAL_TLS_SERVER_NAME to a name it carries`;
  if (code === 'CERT_HAS_EXPIRED') return "the server's certificate has expired";
  if (code === 'CERT_NOT_YET_VALID') return "the server's certificate is not valid yet (is this machine's clock right?)";
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(text))
    return settings.tlsMode === 'mtls'
      ? `the server refused the client certificate (${by('clientCert')})`
      : 'the server requires a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or --tls-cert-path and --tls-key-path)';
  if (
    /UNKNOWN_CA|unknown ca|BAD_CERTIFICATE|bad certificate|ACCESS_DENIED|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|DECRYPT_ERROR/i.test(text)
  )
    return `the server refused the client certificate (${by('clientCert')}): ${alertName(text)}`;
  if (/HANDSHAKE_FAILURE|handshake failure/i.test(text))
    return settings.tlsMode === 'mtls'
      ? `the TLS handshake failed (the server refused the client certificate in ${by('clientCert')}, or no cipher in common)`
      : 'the TLS handshake failed (does the server require a client certificate?)';
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return 'the server closed the connection during the TLS handshake (is it a plaintext server, or does it refuse this client?)';
  return `TLS failed: ${code || error.message.split('\n')[0]}`;
}

function alertName(text: string): string {
  const match = /alert ([a-z ]+)/i.exec(text);
  return match ? `TLS alert "${match[1]!.trim().toLowerCase()}"` : 'TLS alert';
}

export function splitAddress(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2] ?? 7233) };
  const colon = address.lastIndexOf(':');
  if (colon > 0 && !address.slice(0, colon).includes(':')) return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
  return { host: address, port: 7233 };
}
