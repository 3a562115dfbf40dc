import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';

/**
 * The embedded database's front door: a TCP listener that asks every client for a password (cleartext, loopback
 * only) before relaying it to PGlite's socket server, which listens on a Unix socket in a private directory.
 *
 * Why: PGlite has ONE session shared by every connection and accepts any user, password, database and startup
 * option. So any client that gets in can change the service's session state for all of it (pg_dump's
 * `set_config('search_path', '', false)` left every later query without `public`). Pinning `search_path` from our
 * side cannot close that: startup options are ignored and a SET before each query still races another client's
 * messages between the two. Letting in only the processes that hold the per-start password (the service, and the
 * CLI through the 0600 runtime file) does: they run this code base, which sets nothing on the session.
 */
export interface EmbeddedDoor {
  port: number;
  close(): Promise<void>;
}

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_STARTUP_BYTES = 10_000;

export async function openEmbeddedDoor(options: { host: string; port: number; password: string; innerSocketPath: string }): Promise<EmbeddedDoor> {
  const expected = Buffer.from(options.password, 'utf8');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    admit(client, expected, options.innerSocketPath, sockets);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads the startup message and the password, then relays the client to PGlite, or refuses it. */
function admit(client: net.Socket, expected: Buffer, innerSocketPath: string, sockets: Set<net.Socket>): void {
  let buffer = Buffer.alloc(0);
  let startup: Buffer | undefined;
  let user = '';
  const timer = setTimeout(() => client.destroy(), HANDSHAKE_TIMEOUT_MS);
  const onData = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    try {
      while (!startup) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (length < 8 || length > MAX_STARTUP_BYTES) return refuse('08P01', 'invalid startup packet');
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        const packet = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write('N'); // no TLS on loopback: the client goes on in the clear, as with PostgreSQL's own `N`
          continue;
        }
        if (code !== PROTOCOL_3) return client.destroy(); // cancel requests (unsupported by PGlite) and the unknown
        startup = Buffer.from(packet);
        user = startupParameter(startup, 'user') ?? '';
        client.write(authenticationCleartextPassword());
      }
      if (buffer.length < 5) return;
      if (buffer[0] !== 0x70 /* 'p' */) return refuse('28000', "the embedded database requires the service's password");
      const length = buffer.readInt32BE(1);
      if (length < 5 || length > MAX_STARTUP_BYTES) return refuse('08P01', 'invalid password packet');
      if (buffer.length < 1 + length) return;
      const given = buffer.subarray(5, 1 + length - 1); // without the terminating NUL
      const rest = buffer.subarray(1 + length);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return refuse(
          '28P01',
          `password authentication failed for user "${user}": the embedded database of Backup Sentinel serves only the service itself (its password changes on every start)`,
        );
      }
      clearTimeout(timer);
      client.off('data', onData);
      relay(client, startup, rest, innerSocketPath, sockets);
    } catch {
      client.destroy();
    }
  };
  const refuse = (code: string, message: string) => {
    clearTimeout(timer);
    client.off('data', onData);
    client.end(errorResponse(code, message));
  };
  client.on('data', onData);
}

function relay(client: net.Socket, startup: Buffer, rest: Buffer, innerSocketPath: string, sockets: Set<net.Socket>): void {
  client.pause();
  const inner = net.connect(innerSocketPath);
  sockets.add(inner);
  inner.on('close', () => {
    sockets.delete(inner);
    client.destroy();
  });
  inner.on('error', () => inner.destroy());
  client.on('close', () => inner.destroy());
  inner.once('connect', () => {
    // PGlite answers the forwarded startup message with AuthenticationOk and ReadyForQuery: what the client
    // expects after its password.
    inner.write(startup);
    if (rest.length > 0) inner.write(rest);
    client.pipe(inner);
    inner.pipe(client);
    client.resume();
  });
}

function startupParameter(startup: Buffer, name: string): string | undefined {
  const fields = startup.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function authenticationCleartextPassword(): Buffer {
  const message = Buffer.alloc(9);
  message.write('R', 0);
  message.writeInt32BE(8, 1);
  message.writeInt32BE(3, 5);
  return message;
}

function errorResponse(code: string, message: string): Buffer {
  const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
