import { createHash } from 'node:crypto';
import pg from 'pg';
import { quoteIdent } from './row-counts.js';

/**
 * The scratch database a drill restores into, on DRILL_DATABASE_URL's server. Its name is derived from the drill
 * (`<workflowId>#<runId>`), so every attempt of one drill uses the same name: a retry after a SIGKILLed worker
 * first drops what the dead attempt left ("cleaned, not reused") and nothing else can collide with it.
 */
export function scratchDatabaseName(drillId: string): string {
  return `sentinel_drill_${createHash('sha256').update(drillId).digest('hex').slice(0, 24)}`;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/i;

/** host, port and database a libpq URL reaches (host= and port= parameters win, as in libpq; the dbname defaults to the user). */
export function endpointOf(url: string): { host: string; port: string; database: string } | undefined {
  let parsed: URL;
  try {
    // libpq allows an empty host (`postgres://u@/db?host=/run/postgresql`), which URL does not.
    parsed = new URL(url.replace(/^(postgres(?:ql)?:\/\/[^/?#]*@)(?=[/?#]|$)/, '$1localhost'));
  } catch {
    return undefined;
  }
  const hostParam = parsed.searchParams.get('host');
  const rawHost = hostParam ?? parsed.hostname;
  const host = LOOPBACK.test(rawHost) || rawHost === '' ? 'loopback' : rawHost.toLowerCase();
  const port = parsed.searchParams.get('port') ?? (parsed.port || '5432');
  const user = decodeURIComponent(parsed.username) || parsed.searchParams.get('user') || 'postgres';
  const database = parsed.searchParams.get('dbname') ?? (decodeURIComponent(parsed.pathname.slice(1)) || user);
  return { host, port, database };
}

/** Whether the drill URL points at the target's own database (same host, port and database): a drill must never restore there. */
export function sameDatabase(drillUrl: string, targetUrl: string): boolean {
  const a = endpointOf(drillUrl);
  const b = endpointOf(targetUrl);
  return a !== undefined && b !== undefined && a.host === b.host && a.port === b.port && a.database === b.database;
}

/** `url` with another database, password removed (it travels in PGPASSWORD for child processes). */
export function withDatabase(url: string, database: string): { url: string; password?: string } {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  parsed.searchParams.delete('dbname');
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { url: parsed.toString(), ...(password !== undefined ? { password } : {}) };
}

export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  parsed.searchParams.delete('dbname');
  return parsed.toString();
}

async function admin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 30_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function scratchExists(adminUrl: string, name: string): Promise<boolean> {
  return admin(adminUrl, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

/** Drops the scratch database and any session in it (an orphaned pg_restore's too); true when it existed. */
export async function dropScratch(adminUrl: string, name: string): Promise<boolean> {
  return admin(adminUrl, async (c) => {
    const existed = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return existed;
  });
}

export async function createScratch(adminUrl: string, name: string): Promise<void> {
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`));
}
