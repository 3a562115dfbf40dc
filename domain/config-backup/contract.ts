/**
 * The contract of `configBackupWorkflow`: its input, the per-item outcome and the result, plus input validation
 * and the workflow ID. Pure: imported by the workflow, the activities and the CLI.
 */
import { describeValue } from '../describe-value.js';

export type ConfigItemType = 'env' | 'file' | 'app';
export type ItemStatus = 'backed_up' | 'unchanged' | 'failed';

export interface AppConfigInput {
  /** Becomes part of restore file names: letters, digits, `.`, `_`, `-`. */
  name: string;
  /** The application's configuration object (or array). Encrypted at rest; only its redacted view is kept readable. */
  config: Record<string, unknown> | unknown[];
  /** Redact sensitive values in the stored view (the payload is always encrypted). Default true. */
  encryptSensitive?: boolean;
}

/**
 * Everything is optional: the worker fills in `envPrefix` from CONFIG_ENV_PREFIX and `files` from
 * CONFIG_FILES_TO_BACKUP (its own environment, not the caller's). The daily schedule starts it with `{}`.
 */
export interface ConfigBackupInput {
  envPrefix?: string;
  /** Extra names to treat as secrets; the built-in list (PASSWORD, TOKEN, DSN, ...) always applies. */
  sensitiveKeys?: string[];
  /** Paths or globs, absolute or relative to the worker's working directory. */
  files?: string[];
  apps?: AppConfigInput[];
}

export interface ItemOutcome {
  /** Item row id (`sentinel config show ID`); null when the item never got a row (it cannot happen for listed items). */
  id: number | null;
  type: ConfigItemType;
  /** env: the prefix; file: the absolute path (or the glob that matched nothing); app: the app name. */
  name: string;
  status: ItemStatus;
  /** Why it failed (path and cause, never content). */
  reason?: string;
  /** Encrypted payload bytes this item added to the store (0 when deduplicated). */
  bytesWritten: number;
}

export interface ConfigBackupTotals {
  backedUp: number;
  unchanged: number;
  failed: number;
  payloadsWritten: number;
  payloadBytesWritten: number;
}

export interface ConfigBackupResult {
  setId: number;
  workflowId: string;
  startedAt: string;
  finishedAt: string;
  keyId: string;
  /** How long this run waited for another run to release the lock (0 when it got it at once). */
  waitedForLockMs: number;
  items: ItemOutcome[];
  totals: ConfigBackupTotals;
  cleanup: { removedPayloads: number; bytesFreed: number };
}

/** Per-activity result: outcomes of its items and what it wrote. */
export interface BatchOutcome {
  items: ItemOutcome[];
  payloadsWritten: number;
  payloadBytesWritten: number;
}

export const MAX_FILE_PATTERNS = 10_000;
export const MAX_APPS = 1_000;
const ENV_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks the input's shape; returns every problem (empty when valid). Runs inside the workflow. */
export function validateConfigBackupInput(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (typeof input !== 'object' || Array.isArray(input)) return ['input must be an object ({} for the defaults)'];
  const i = input as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set(['envPrefix', 'sensitiveKeys', 'files', 'apps']);
  for (const key of Object.keys(i)) if (!known.has(key)) problems.push(`unknown field ${describeValue(key)}`);
  if (i.envPrefix !== undefined && (typeof i.envPrefix !== 'string' || !ENV_PREFIX.test(i.envPrefix)))
    problems.push('envPrefix must be a non-empty variable-name prefix such as "PROD_"');
  if (i.sensitiveKeys !== undefined) {
    if (!Array.isArray(i.sensitiveKeys) || i.sensitiveKeys.length > 200) problems.push('sensitiveKeys must be a list of at most 200 names');
    else
      i.sensitiveKeys.forEach((key, n) => {
        if (typeof key !== 'string' || key.trim() === '' || key.length > 100)
          problems.push(`sensitiveKeys[${n}] must be a non-empty name of at most 100 characters`);
      });
  }
  if (i.files !== undefined) {
    if (!Array.isArray(i.files) || i.files.length > MAX_FILE_PATTERNS) problems.push(`files must be a list of at most ${MAX_FILE_PATTERNS} paths or globs`);
    else
      i.files.forEach((file, n) => {
        if (typeof file !== 'string' || file.trim() === '' || file.includes('\0')) problems.push(`files[${n}] must be a non-empty path or glob`);
      });
  }
  if (i.apps !== undefined) {
    if (!Array.isArray(i.apps) || i.apps.length > MAX_APPS) problems.push(`apps must be a list of at most ${MAX_APPS} { name, config } entries`);
    else {
      const seen = new Set<string>();
      i.apps.forEach((app, n) => problems.push(...appProblems(app, n, seen)));
    }
  }
  return problems;
}

function appProblems(app: unknown, n: number, seen: Set<string>): string[] {
  if (typeof app !== 'object' || app === null || Array.isArray(app)) return [`apps[${n}] must be an object { name, config }`];
  const a = app as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof a.name !== 'string' || !APP_NAME.test(a.name)) problems.push(`apps[${n}].name must be 1-128 letters, digits, ".", "_" or "-"`);
  else if (seen.has(a.name)) problems.push(`apps[${n}].name "${a.name}" is given twice`);
  else seen.add(a.name);
  if (typeof a.config !== 'object' || a.config === null) problems.push(`apps[${n}].config must be an object or a list`);
  if (a.encryptSensitive !== undefined && typeof a.encryptSensitive !== 'boolean') problems.push(`apps[${n}].encryptSensitive must be true or false`);
  return problems;
}

/** Splits `items` into consecutive batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

export function summarizeOutcomes(outcomes: readonly BatchOutcome[]): { items: ItemOutcome[]; totals: ConfigBackupTotals } {
  const items = outcomes.flatMap((o) => o.items);
  return {
    items,
    totals: {
      backedUp: items.filter((i) => i.status === 'backed_up').length,
      unchanged: items.filter((i) => i.status === 'unchanged').length,
      failed: items.filter((i) => i.status === 'failed').length,
      payloadsWritten: outcomes.reduce((sum, o) => sum + o.payloadsWritten, 0),
      payloadBytesWritten: outcomes.reduce((sum, o) => sum + o.payloadBytesWritten, 0),
    },
  };
}

/** Manual runs: `config-backup/<ISO time>`; scheduled runs get `config-backup/scheduled-<time>` from Temporal. */
export const configBackupWorkflowId = (at: Date | string): string => `config-backup/${typeof at === 'string' ? at : at.toISOString()}`;
