import net from 'node:net';

/**
 * A TCP proxy for fault tests, put between a process and a server (PostgreSQL) so a test can break the network
 * path without touching the server other tests share.
 *
 * - `cut()`: resets every open connection and refuses (accepts, then resets) new ones, until `restore()`.
 * - `stallAfter(n)`: connections opened from now on stop relaying once the server has sent them `n` bytes; they stay
 *   open and silent (a client stuck mid-conversation) until `release()`. `stallAfter(null)` lets new ones flow.
 */
export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  cut(): void;
  restore(): void;
  stallAfter(serverBytes: number | null): void;
  release(): void;
  stats(): ProxyStats;
  close(): Promise<void>;
}

export interface ProxyStats {
  accepted: number;
  refused: number;
  reset: number;
  open: number;
  stalled: number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  serverBytes: number;
  stallLimit: number | null;
  stalled: boolean;
  held: Buffer[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const counts = { accepted: 0, refused: 0, reset: 0 };
  let isCut = false;
  let stallLimit: number | null = null;

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  };

  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (isCut) {
      counts.refused += 1;
      client.resetAndDestroy();
      return;
    }
    counts.accepted += 1;
    const upstream = net.connect(target.port, target.host);
    upstream.on('error', () => undefined);
    const pair: Pair = { client, upstream, serverBytes: 0, stallLimit, stalled: false, held: [] };
    pairs.add(pair);
    client.on('close', () => drop(pair));
    upstream.on('close', () => drop(pair));
    client.on('data', (chunk) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => {
      if (!pair.stalled) client.resume();
    });
    upstream.on('data', (chunk) => {
      if (pair.stalled) {
        pair.held.push(chunk);
        return;
      }
      pair.serverBytes += chunk.length;
      if (!client.write(chunk)) upstream.pause();
      if (pair.stallLimit !== null && pair.serverBytes >= pair.stallLimit) {
        pair.stalled = true;
        upstream.pause();
        client.pause();
      }
    });
    client.on('drain', () => {
      if (!pair.stalled) upstream.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    rewrite(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut() {
      isCut = true;
      for (const pair of [...pairs]) {
        counts.reset += 1;
        pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      }
    },
    restore() {
      isCut = false;
    },
    stallAfter(serverBytes) {
      stallLimit = serverBytes;
    },
    release() {
      for (const pair of pairs) {
        if (!pair.stalled) continue;
        pair.stalled = false;
        pair.stallLimit = null;
        for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
        pair.upstream.resume();
        pair.client.resume();
      }
    },
    stats() {
      return { ...counts, open: pairs.size, stalled: [...pairs].filter((p) => p.stalled).length };
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
