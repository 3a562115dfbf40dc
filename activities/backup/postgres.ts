import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { redactSecrets } from '../../platform/redact.js';
import { invalidInput } from '../../platform/failures.js';
import { parsePgDumpVersion, parseServerVersionNum, pgDumpTooOld } from './pg-version.js';
import { runProcess, type RunProcessOptions } from './process.js';
import { openSnapshotCounter, type SnapshotCounter, type TableCountRequest } from '../../capabilities/drill/row-counts.js';

export interface DumpResult {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** Row counts in the dump's own snapshot (`schema.table` -> rows), when asked for and the server could export one. */
  tableCounts?: Record<string, number>;
}

/**
 * pg_dump in custom format into `<backupDir>/<target>/<name>.dump`. The file name comes from the workflow run, so
 * a retried activity replaces its own artifact instead of leaving a second one; the dump is written to a partial
 * file and renamed only when pg_dump succeeded. The password travels in PGPASSWORD, never on the command line.
 *
 * Each attempt writes a partial file of its own and first unlinks the ones earlier attempts left: when a worker
 * dies (SIGKILL, OOM), its pg_dump lives on and keeps writing to the file it opened. Sharing one partial name, that
 * orphan would write into the retry's file after the rename and corrupt the artifact under its recorded checksum;
 * now it writes into an unlinked file that disappears when it exits.
 */
export async function dumpPostgres(
  url: string,
  backupDir: string,
  target: string,
  artifactName: string,
  timeoutMs: number,
  options: {
    attempt?: RunProcessOptions['attempt'];
    embeddedDatabaseUrl?: string | undefined;
    /** Count rows for restore drills in the snapshot pg_dump reads (capabilities/drill/row-counts.ts). */
    countTables?: TableCountRequest | undefined;
    onCountProblem?: (message: string) => void;
  } = {},
): Promise<DumpResult> {
  const connection = splitCredentials(url);
  if (options.embeddedDatabaseUrl && reachesEmbedded(url, options.embeddedDatabaseUrl)) {
    // Every connection to PGlite shares the service's one session: pg_dump's set-up (set_config('search_path',
    // '', false) and more) would become the service's state. Real PostgreSQL gives pg_dump a session of its own.
    throw invalidInput(
      `target "${target}" points at the service's own embedded database (${embeddedEndpoint(options.embeddedDatabaseUrl)}), which cannot be backed up with pg_dump: it has one session shared by every connection. Stop the service and copy its .data/pglite folder, or run the service on PostgreSQL (DATABASE_URL)`,
    );
  }
  await refuseOlderPgDump(url, timeoutMs);
  const dir = path.join(backupDir, target);
  await mkdir(dir, { recursive: true });
  const finalPath = path.join(dir, `${artifactName}.dump`);
  await removePartials(dir, `${artifactName}.dump.partial`);
  const partialPath = `${finalPath}.partial-${randomBytes(4).toString('hex')}`;
  // With counts wanted, a REPEATABLE READ transaction exports its snapshot and pg_dump reads that same snapshot
  // (--snapshot): the counts describe exactly the rows in the dump, while the database keeps changing.
  let counter: SnapshotCounter | undefined;
  if (options.countTables !== undefined) {
    counter = await openSnapshotCounter(url, options.countTables, timeoutMs).catch((error: Error) => {
      options.onCountProblem?.(`no row counts for the drill: ${redactSecrets(error.message)}`);
      return undefined;
    });
  }
  const counting = counter?.count();
  counting?.catch(() => undefined);
  const outcome = await runProcess(
    'pg_dump',
    ['--format=custom', '--no-password', ...(counter ? [`--snapshot=${counter.snapshotId}`] : []), `--file=${partialPath}`, `--dbname=${connection.url}`],
    {
      timeoutMs,
      ...(options.attempt ? { attempt: options.attempt } : {}),
      env: { ...process.env, ...(connection.password !== undefined ? { PGPASSWORD: connection.password } : {}) },
    },
  );
  let tableCounts: Record<string, number> | undefined;
  if (counter) {
    tableCounts = await counting!.catch((error: Error) => {
      options.onCountProblem?.(`no row counts for the drill: ${redactSecrets(error.message)}`);
      return undefined;
    });
    await counter.close();
  }
  if (outcome.spawnError?.code === 'ENOENT') throw invalidInput('pg_dump not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client)');
  if (outcome.spawnError) throw new Error(`cannot start pg_dump: ${outcome.spawnError.message}`);
  if (outcome.timedOut || outcome.exitCode !== 0) {
    await rm(partialPath, { force: true });
    const why = outcome.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `exited with code ${outcome.exitCode ?? outcome.signal}`;
    throw new Error(redactSecrets(`pg_dump ${why}: ${outcome.outputTail || 'no output'}`));
  }
  await rename(partialPath, finalPath);
  const { size } = await stat(finalPath);
  return { path: finalPath, sizeBytes: size, sha256: await sha256File(finalPath), ...(tableCounts ? { tableCounts } : {}) };
}

/**
 * pg_dump aborts on a newer server only after connecting and setting up its session, with a message that names
 * the mismatch but not the way out; ask both first. A server that cannot be asked is left to pg_dump to report.
 */
async function refuseOlderPgDump(url: string, timeoutMs: number): Promise<void> {
  const probeMs = Math.min(10_000, timeoutMs);
  const outcome = await runProcess('pg_dump', ['--version'], { timeoutMs: probeMs });
  if (outcome.spawnError?.code === 'ENOENT') throw invalidInput('pg_dump not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client)');
  const pgDump = parsePgDumpVersion(outcome.outputTail);
  const server = await serverVersion(url, probeMs);
  if (!pgDump || !server) return;
  const refusal = pgDumpTooOld(pgDump, server);
  if (refusal) throw invalidInput(refusal);
}

async function serverVersion(url: string, timeoutMs: number) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    return parseServerVersionNum(result.rows[0]?.server_version_num ?? '');
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[?::1\]?|\[?::ffff:127(\.\d{1,3}){3}\]?)$/i;

/**
 * Whether `url` reaches the embedded database: it listens on loopback only and serves the same session whatever
 * the database name or user, so the port on a loopback host decides.
 */
export function reachesEmbedded(url: string, embeddedUrl: string): boolean {
  let target: URL;
  let embedded: URL;
  try {
    target = new URL(url);
    embedded = new URL(embeddedUrl);
  } catch {
    return false;
  }
  const hostParam = target.searchParams.get('host');
  const host = hostParam && !hostParam.startsWith('/') ? hostParam : target.hostname;
  if (!LOOPBACK.test(host)) return false;
  const port = target.searchParams.get('port') ?? (target.port || '5432');
  return port === (embedded.port || '5432');
}

function embeddedEndpoint(embeddedUrl: string): string {
  const parsed = new URL(embeddedUrl);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}

async function removePartials(dir: string, prefix: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix)) await rm(path.join(dir, name), { force: true });
  }
}

export function splitCredentials(url: string): { url: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidInput("the target's postgres url is not a valid URL");
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { url: parsed.toString(), ...(password !== undefined ? { password } : {}) };
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
