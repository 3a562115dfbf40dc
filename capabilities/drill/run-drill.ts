/**
 * One restore drill (docs/backup-assurance.md, "Restore drills"): proves the newest dump restores and holds what
 * it should. Postgres targets: verify the dump's SHA-256 against the one recorded at backup time (a mismatch fails
 * the drill before anything is created), restore it with pg_restore into a scratch database on DRILL_DATABASE_URL,
 * run the declared checks and the row-count comparison in READ ONLY transactions, and always drop the scratch
 * database. Command targets: run `drill.command`; its exit code decides.
 *
 * Idempotent per drill (`drillId` = `<workflowId>#<runId>`): a retried attempt keeps the dump its first attempt
 * chose, drops a scratch database a killed attempt left behind before creating its own, and a drill that already
 * finished returns its recorded outcome.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import pg from 'pg';
import { attemptFile, stopEarlierAttempts } from '../../activities/backup/attempts.js';
import { runProcess } from '../../activities/backup/process.js';
import { sha256File } from '../../activities/backup/postgres.js';
import { beginDrill, finishDrill, getDrill, markDrillCleaned, renewDrillLease, type DrillDump, type DrillRow } from '../../db/repositories/restore-drills.js';
import { meetsExpectation, parseExpectation, type Expectation } from '../../domain/drill/checks.js';
import type { DrillCheckResult, RestoreDrillOutcome } from '../../domain/drill/contract.js';
import { findTarget, type SentinelSettings, type TargetConfig } from '../../domain/settings/schema.js';
import { invalidInput } from '../../platform/failures.js';
import { redactSecrets } from '../../platform/redact.js';
import { quoteIdent } from './row-counts.js';
import { createScratch, databaseUrl, dropScratch, sameDatabase, scratchDatabaseName, withDatabase } from './scratch.js';

export interface DrillDeps {
  db: pg.Pool;
  loadSettings: () => Promise<SentinelSettings>;
  drillDatabaseUrl?: string | undefined;
  log: Logger;
  /** Where process-group records of running drill processes live (BACKUP_DIR/.running/.drills/<target>). */
  backupDir: string;
}

/**
 * A SIGKILLed worker leaves its pg_restore (or drill command) running in its own process group; like backups
 * (activities/backup/attempts.ts), each attempt records the group and the next attempt of the same drill stops
 * it first. Keyed `.drills/<target>`: target names never start with a dot, so no backup shares the folder.
 */
const attemptsKey = (target: string) => `.drills/${target}`;

async function stopOrphans(deps: DrillDeps, request: DrillRequest, target: string, key: string): Promise<void> {
  const stopped = await stopEarlierAttempts(deps.backupDir, attemptsKey(target), key, () => request.heartbeat?.({ stoppingEarlierAttempt: true }));
  for (const s of stopped) deps.log.warn({ target, pgid: s.pgid, since: s.startedAt }, 'stopped a drill process an earlier attempt left running');
}

export interface DrillRequest {
  target: string;
  drillId: string;
  workflowId: string;
  /** The activity attempt (1 for the first). */
  attempt?: number;
  heartbeat?: (details: Record<string, unknown>) => void;
}

/** A lease outlives a missed renewal or two; a dead drill's lease expires and prune may then remove the dump. */
const LEASE_MS = 5 * 60_000;
const LEASE_RENEW_MS = 30_000;
/** Each check gets this long; a check is a probe, not a report. */
const CHECK_TIMEOUT_MS = 5 * 60_000;

export async function resolveDrillTarget(deps: Pick<DrillDeps, 'loadSettings'>, name: string): Promise<TargetConfig> {
  const config = await deps.loadSettings();
  const target = findTarget(config, name);
  if (target.kind === 'workflow') throw invalidInput(`target "${name}" is a workflow target: restore drills run for postgres and command targets`);
  if (target.kind === 'command' && !target.drill)
    throw invalidInput(`target "${name}" is a command target without drill.command: declare the command that proves a restore (e.g. restic check)`);
  return target;
}

export async function runRestoreDrill(deps: DrillDeps, request: DrillRequest): Promise<RestoreDrillOutcome> {
  const target = await resolveDrillTarget(deps, request.target);
  if (target.kind === 'postgres') return postgresDrill(deps, request, target);
  return commandDrill(deps, request, target as Extract<TargetConfig, { kind: 'command' }>);
}

async function commandDrill(deps: DrillDeps, request: DrillRequest, target: Extract<TargetConfig, { kind: 'command' }>): Promise<RestoreDrillOutcome> {
  const { row } = await beginDrill(deps.db, {
    drillId: request.drillId,
    target: target.name,
    kind: 'command',
    workflowId: request.workflowId,
    scratchDatabase: null,
    attempt: request.attempt ?? 1,
    leaseMs: LEASE_MS,
  });
  if (row.status !== 'running') return outcomeOf(row);
  const drill = target.drill!;
  const key = scratchDatabaseName(request.drillId);
  await stopOrphans(deps, request, target.name, key);
  const started = Date.now();
  // Like a command backup: a shell in its own process group, killed whole on timeout, heartbeating meanwhile.
  const run = await runProcess(drill.command, [], {
    shell: true,
    timeoutMs: drill.timeoutSeconds * 1000,
    attempt: { file: attemptFile(deps.backupDir, attemptsKey(target.name), key), artifactName: key },
  });
  const seconds = (Date.now() - started) / 1000;
  const error = run.spawnError
    ? `cannot start drill command: ${run.spawnError.message}`
    : run.timedOut
      ? `drill command timed out after ${drill.timeoutSeconds} s`
      : run.exitCode !== 0
        ? redactSecrets(`drill command exited with code ${run.exitCode ?? run.signal}${run.outputTail ? `: ${run.outputTail.slice(-1000)}` : ''}`)
        : null;
  const finished = await finishDrill(deps.db, request.drillId, { status: error ? 'failed' : 'passed', restoreSeconds: seconds, checks: [], error });
  return outcomeOf(finished!);
}

async function postgresDrill(deps: DrillDeps, request: DrillRequest, target: Extract<TargetConfig, { kind: 'postgres' }>): Promise<RestoreDrillOutcome> {
  const adminUrl = deps.drillDatabaseUrl;
  if (!adminUrl)
    throw invalidInput(
      `DRILL_DATABASE_URL is not set: restore drills of postgres targets need an admin URL of a server to restore into (never the target's own database)`,
    );
  if (sameDatabase(adminUrl, target.url))
    throw invalidInput(
      `DRILL_DATABASE_URL points at target "${target.name}"'s own database (same host, port and database): refused; point it at a maintenance database (e.g. /postgres) of a server the drill may create scratch databases on`,
    );
  const scratch = scratchDatabaseName(request.drillId);
  await stopOrphans(deps, request, target.name, scratch);
  // Cleaned, not reused: whatever an earlier attempt of this drill left is dropped before anything else.
  if (await dropScratch(adminUrl, scratch))
    deps.log.warn({ target: target.name, scratch, attempt: request.attempt }, 'dropped the scratch database an earlier attempt of this drill left');

  const { row, dump } = await beginDrill(deps.db, {
    drillId: request.drillId,
    target: target.name,
    kind: 'postgres',
    workflowId: request.workflowId,
    scratchDatabase: scratch,
    attempt: request.attempt ?? 1,
    leaseMs: LEASE_MS,
  });
  if (row.status !== 'running') {
    await markDrillCleaned(deps.db, request.drillId);
    return outcomeOf(row);
  }
  const fail = async (error: string, restoreSeconds: number | null = null, checks: DrillCheckResult[] = []) =>
    outcomeOf((await finishDrill(deps.db, request.drillId, { status: 'failed', restoreSeconds, checks, error }))!);
  if (!dump) {
    await markDrillCleaned(deps.db, request.drillId);
    return fail(`no completed dump of "${target.name}" to restore (or every dump was pruned)`);
  }

  const lease = setInterval(() => void renewDrillLease(deps.db, request.drillId, LEASE_MS).catch(() => undefined), LEASE_RENEW_MS);
  try {
    request.heartbeat?.({ phase: 'verifying checksum', backupId: dump.backupId });
    const verified = await verifyDump(dump);
    if (verified) {
      await markDrillCleaned(deps.db, request.drillId); // nothing was created
      return fail(verified);
    }
    let restoreSeconds: number | null = null;
    let checks: DrillCheckResult[] = [];
    let failure: string | null = null;
    try {
      request.heartbeat?.({ phase: 'restoring', backupId: dump.backupId, scratch });
      await createScratch(adminUrl, scratch);
      const restored = await restore(adminUrl, scratch, dump.artifactPath, target.drill?.timeoutSeconds ?? 6 * 3600, {
        file: attemptFile(deps.backupDir, attemptsKey(target.name), scratch),
        artifactName: scratch,
      });
      restoreSeconds = restored.seconds;
      failure = restored.error;
      if (!failure) {
        request.heartbeat?.({ phase: 'checking', backupId: dump.backupId, scratch });
        checks = await runChecks(databaseUrl(adminUrl, scratch), target.drill?.checks ?? [], dump.tableCounts);
        const failed = checks.filter((c) => !c.passed);
        if (failed.length > 0) failure = `${failed.length} of ${checks.length} check(s) failed: ${failed.map(describeCheck).join('; ')}`;
      }
    } finally {
      // Always: a drill never leaves a copy of production data behind.
      await dropScratch(adminUrl, scratch);
      await markDrillCleaned(deps.db, request.drillId);
    }
    const finished = await finishDrill(deps.db, request.drillId, {
      status: failure ? 'failed' : 'passed',
      restoreSeconds,
      checks,
      error: failure,
    });
    return outcomeOf(finished!);
  } finally {
    clearInterval(lease);
  }
}

/** Why the dump must not be restored, or undefined: the file must exist and match the checksum taken at backup time. */
async function verifyDump(dump: DrillDump): Promise<string | undefined> {
  try {
    await stat(dump.artifactPath);
  } catch {
    return `dump file of ${dump.backupId} is missing (${dump.artifactPath}); restore not attempted`;
  }
  if (!dump.sha256) return `no checksum was recorded for ${dump.backupId}; restore not attempted`;
  const actual = await sha256File(dump.artifactPath);
  if (actual !== dump.sha256)
    return `checksum mismatch: ${dump.backupId} was recorded with SHA-256 ${dump.sha256}, the file now has ${actual}; restore not attempted`;
  return undefined;
}

/** pg_restore flags the drill uses (and the benchmark's hand-run restore): stop at the first error, restore as the drill's user. */
export const PG_RESTORE_FLAGS = ['--exit-on-error', '--no-owner', '--no-privileges', '--no-password'];

async function restore(
  adminUrl: string,
  scratch: string,
  file: string,
  timeoutSeconds: number,
  attempt: { file: string; artifactName: string },
): Promise<{ seconds: number; error: string | null }> {
  const connection = withDatabase(adminUrl, scratch);
  const started = Date.now();
  const outcome = await runProcess('pg_restore', [...PG_RESTORE_FLAGS, `--dbname=${connection.url}`, file], {
    timeoutMs: timeoutSeconds * 1000,
    attempt,
    env: { ...process.env, ...(connection.password !== undefined ? { PGPASSWORD: connection.password } : {}) },
  });
  const seconds = (Date.now() - started) / 1000;
  if (outcome.spawnError?.code === 'ENOENT')
    throw invalidInput('pg_restore not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client)');
  if (outcome.spawnError) return { seconds, error: `cannot start pg_restore: ${outcome.spawnError.message}` };
  if (outcome.timedOut) return { seconds, error: `pg_restore timed out after ${timeoutSeconds} s` };
  if (outcome.exitCode !== 0)
    return {
      seconds,
      error: redactSecrets(`pg_restore exited with code ${outcome.exitCode ?? outcome.signal}: ${outcome.outputTail.slice(-1500) || 'no output'}`),
    };
  return { seconds, error: null };
}

/**
 * The declared checks, then one row count per table counted at backup time, each in a READ ONLY transaction over
 * the extended protocol (one statement only) with a statement timeout. A check that errors (a missing table, a
 * write refused by the read-only transaction) fails with the server's message.
 */
export async function runChecks(
  url: string,
  declared: ReadonlyArray<{ sql: string; expect: string }>,
  counts: Record<string, number> | null,
): Promise<DrillCheckResult[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
  client.on('error', () => undefined);
  await client.connect();
  const results: DrillCheckResult[] = [];
  try {
    for (const check of declared) {
      const expectation = parseExpectation(check.expect);
      if (typeof expectation === 'string') {
        results.push({ kind: 'sql', name: check.sql, expect: check.expect, actual: null, passed: false, error: `expect ${expectation}` });
        continue;
      }
      results.push({ kind: 'sql', name: check.sql, expect: check.expect, ...(await oneValueCheck(client, check.sql, expectation)) });
    }
    for (const [table, expected] of Object.entries(counts ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const [schema, name] = splitTable(table);
      const sql = `SELECT count(*) FROM ${quoteIdent(schema)}.${quoteIdent(name)}`;
      const outcome = await oneValueCheck(client, sql, { operator: '=', operand: String(expected), number: expected });
      results.push({
        kind: 'row-count',
        name: table,
        expect: `= ${expected}`,
        actual: typeof outcome.actual === 'string' ? Number(outcome.actual) : outcome.actual,
        passed: outcome.passed,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return results;
}

function splitTable(table: string): [string, string] {
  const dot = table.indexOf('.');
  return dot === -1 ? ['public', table] : [table.slice(0, dot), table.slice(dot + 1)];
}

async function oneValueCheck(
  client: pg.Client,
  sql: string,
  expectation: Expectation,
): Promise<{ actual: string | number | null; passed: boolean; error?: string }> {
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${CHECK_TIMEOUT_MS}`);
    const result = await client.query({ text: sql, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig & { queryMode: 'extended' });
    if (result.rows.length !== 1 || result.fields.length !== 1)
      return { actual: null, passed: false, error: `returned ${result.rows.length} row(s) of ${result.fields.length} column(s); a check returns one value` };
    const value = (result.rows[0] as unknown[])[0];
    const actual =
      value === null || value === undefined ? null : typeof value === 'number' ? value : value instanceof Date ? value.toISOString() : String(value);
    return { actual, passed: meetsExpectation(value, expectation) };
  } catch (error) {
    return { actual: null, passed: false, error: redactSecrets((error as Error).message) };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

function describeCheck(check: DrillCheckResult): string {
  if (check.error) return `${check.kind === 'row-count' ? `rows of ${check.name}` : check.name}: ${check.error}`;
  return check.kind === 'row-count'
    ? `rows of ${check.name}: ${check.actual} restored, ${check.expect.slice(2)} at backup time`
    : `${check.name}: got ${check.actual}, expected ${check.expect}`;
}

export function outcomeOf(row: DrillRow): RestoreDrillOutcome {
  return {
    drillId: row.drillId,
    target: row.target,
    kind: row.kind,
    status: row.status === 'passed' ? 'passed' : 'failed',
    backupId: row.backupId,
    restoreSeconds: row.restoreSeconds,
    checks: row.checks,
    ...(row.error ? { error: row.error } : row.status === 'running' ? { error: 'the drill did not finish' } : {}),
    scratchDatabase: row.scratchDatabase,
  };
}

/**
 * The workflow's last word on a drill whose activity failed for good (retries used up, or refused): drop the
 * scratch database if one is left and record the drill as failed with `error`. Idempotent.
 */
export async function closeRestoreDrill(
  deps: DrillDeps,
  request: { target: string; drillId: string; workflowId: string; error: string },
): Promise<RestoreDrillOutcome> {
  const scratch = scratchDatabaseName(request.drillId);
  if (deps.drillDatabaseUrl) {
    const dropped = await dropScratch(deps.drillDatabaseUrl, scratch).catch((error: Error) => {
      deps.log.error({ target: request.target, scratch, err: error.message }, 'cannot drop the scratch database of a failed drill');
      throw error;
    });
    if (dropped) deps.log.warn({ target: request.target, scratch }, 'dropped the scratch database a failed drill left');
  }
  let kind: 'postgres' | 'command' = 'postgres';
  try {
    const config = await deps.loadSettings();
    if (findTarget(config, request.target).kind === 'command') kind = 'command';
  } catch {
    // an unknown target is recorded as it was asked for
  }
  await deps.db.query(
    `INSERT INTO restore_drills (drill_id, target, kind, workflow_id, scratch_database, status, error, finished_at, cleaned_at)
     VALUES ($1, $2, $3, $4, $5, 'failed', $6, now(), now())
     ON CONFLICT (drill_id) DO UPDATE SET status = 'failed', error = COALESCE(restore_drills.error, EXCLUDED.error),
       finished_at = COALESCE(restore_drills.finished_at, now()), lease_until = NULL, cleaned_at = COALESCE(restore_drills.cleaned_at, now())
     WHERE restore_drills.status = 'running'`,
    [request.drillId, request.target, kind, request.workflowId, kind === 'postgres' ? scratch : null, redactSecrets(request.error)],
  );
  return outcomeOf((await getDrill(deps.db, request.drillId))!);
}
