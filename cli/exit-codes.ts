import type { ConfigBackupResult } from '../domain/config-backup/contract.js';
import type { PreBackupResult } from '../domain/pre-backup/contract.js';

/**
 * Every exit code `sentinel` returns, in one place: commands use these names, `cli/main.ts` maps errors to them,
 * and the help epilog (so docs/CLI.md) lists them from `EXIT_CODE_TABLE`. Scripts and cron jobs depend on the
 * numbers: never renumber one, only add.
 */
export const ExitCode = {
  /** Done: the backup ran and completed; every config item was backed up or unchanged; the query answered. */
  ok: 0,
  /** Something else went wrong: Temporal or the database unreachable, a check failed (`health`, `config verify`). */
  error: 1,
  /** Invalid input: unknown command or option, a bad option value, an unknown target, a malformed argument. */
  invalidInput: 2,
  /** The backup failed (the run failed or its backup did); `config backup`: every item failed. */
  backupFailed: 3,
  /** `config backup`: some items failed, the others were backed up. */
  partialFailure: 4,
  /** Not backed up by decision: rejected by a person, or skipped because no decision came in time. */
  notBackedUp: 5,
  /** `--wait` gave up after `--wait-timeout`: the run is still going (its workflow ID is printed). */
  stillRunning: 6,
  /** `status`: a target's newest successful backup is older than its maxAge (or it has none). */
  stale: 7,
  /** `status`: a target's last backup attempt or last restore drill failed (none stale). */
  failing: 8,
  /** `status`: a target is at critical risk, its store critically close to full, or it has an open anomaly incident (none stale or failing). */
  critical: 9,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const MEANINGS: Record<ExitCodeValue, string> = {
  0: 'ok: backed up (config backup: every item backed up or unchanged)',
  1: 'error: service unreachable, unexpected failure, a failed check (health, config verify)',
  2: 'invalid input: unknown command/option, bad option value, unknown target',
  3: 'backup failed (config backup: every item failed)',
  4: 'partial failure (config backup: some items failed)',
  5: 'not backed up: rejected, or skipped because no approval came in time',
  6: 'still running: --wait-timeout elapsed before the run finished',
  7: 'status: a backup is stale (older than its maxAge, or none)',
  8: 'status: a last backup attempt or restore drill failed (nothing stale)',
  9: 'status: critical risk, store nearly full or an open anomaly incident (nothing stale or failing)',
};

/** The table for the help epilog (and so docs/CLI.md). */
export const EXIT_CODE_TABLE = ['Exit codes:', ...Object.entries(MEANINGS).map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n');

/** The exit code of a finished pre-backup run: did the backup happen, fail, or not happen by decision? */
export function preBackupExitCode(result: Pick<PreBackupResult, 'decision' | 'backup'>): ExitCodeValue {
  if (result.decision === 'rejected' || result.decision === 'skipped') return ExitCode.notBackedUp;
  return result.backup?.status === 'completed' ? ExitCode.ok : ExitCode.backupFailed;
}

/** The exit code of a finished config backup: all good, some items failed, or nothing was backed up. */
export function configBackupExitCode(result: Pick<ConfigBackupResult, 'totals'>): ExitCodeValue {
  const { failed, backedUp, unchanged } = result.totals;
  if (failed === 0) return ExitCode.ok;
  return backedUp + unchanged > 0 ? ExitCode.partialFailure : ExitCode.backupFailed;
}

/** The exit code of `sentinel status`: the first that applies of stale, failing, critical; else ok. */
export function statusExitCode(problems: ReadonlyArray<'stale' | 'failing' | 'critical'>): ExitCodeValue {
  if (problems.includes('stale')) return ExitCode.stale;
  if (problems.includes('failing')) return ExitCode.failing;
  if (problems.includes('critical')) return ExitCode.critical;
  return ExitCode.ok;
}
