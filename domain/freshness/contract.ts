/**
 * Contracts of the freshness check (freshnessCheckWorkflow and its activity). Plain JSON: these values travel
 * through Temporal payloads. Pure: importable by workflows.
 */

export type FreshnessCheckInput = Record<string, never>;

/** The activity's input: the calling workflow's ID (incidents it opens or closes are the ones it alerts for). */
export interface CheckFreshnessInput {
  callerId: string;
}

/** How the target's pre-backup schedule (`sentinel/pre-backup/<name>`) stands on the Temporal server. */
export type ScheduleState = 'active' | 'paused' | 'missing' | 'not-declared' | 'unknown';

export type FreshnessState = 'fresh' | 'stale' | 'unmonitored';

export interface TargetFreshness {
  target: string;
  state: FreshnessState;
  maxAgeSeconds: number | null;
  maxAgeSource: 'config' | 'schedule' | 'none';
  /** ISO start of the newest completed run; null when the target never had one. */
  lastSuccessAt: string | null;
  /** Seconds since lastSuccessAt at the check; null when there is no success. */
  ageSeconds: number | null;
  schedule: { id: string | null; state: ScheduleState; nextRunAt: string | null; error?: string };
  /** The open stale-backup incident, if any, after this check. */
  incidentId: number | null;
}

/** An alert the workflow sends, already worded; `dedupeKey` is per incident, so a retry cannot send it twice. */
export interface FreshnessAlert {
  dedupeKey: string;
  target: string;
  kind: 'stale-backup' | 'stale-backup-resolved';
  severity: 'info' | 'critical';
  incidentId: number;
  message: string;
  details: Record<string, unknown>;
}

export interface FreshnessCounts {
  targets: number;
  withObjective: number;
  fresh: number;
  stale: number;
  neverBackedUp: number;
  schedulesPaused: number;
  schedulesMissing: number;
  opened: number;
  resolved: number;
}

export interface FreshnessCheckSummary {
  checkedAt: string;
  counts: FreshnessCounts;
  /** Targets that need a look (stale, or schedule paused / missing / unknown), stale first, at most MAX_LISTED. */
  attention: TargetFreshness[];
  attentionOmitted: number;
  /** sentinel.yaml warnings (e.g. a maxAge shorter than the schedule interval). */
  warnings: string[];
  /** Per-target failures (e.g. a schedule that could not be described): reported, never fatal for the others. */
  failedTargets: Array<{ target: string; error: string }>;
  alerts: FreshnessAlert[];
}

export interface FreshnessCheckResult extends Omit<FreshnessCheckSummary, 'alerts'> {
  workflowId: string;
  alertsSent: string[];
  alertsFailed: string[];
}

export const freshnessCheckWorkflowId = (at: Date | string): string => `freshness-check/${typeof at === 'string' ? at : at.toISOString()}`;

/** The schedule ID of a target's pre-backup runs (schedules/catalog.ts declares it with this function). */
export const preBackupScheduleId = (target: string): string => `sentinel/pre-backup/${target}`;

/** Only an empty object (or nothing) is valid input today. */
export function validateFreshnessCheckInput(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (typeof input !== 'object' || Array.isArray(input)) return ['input must be an object'];
  const keys = Object.keys(input);
  // The keys are the caller's text: quoted, cut short and at most five, so the message stays one readable line.
  const shown = keys.slice(0, 5).map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key));
  return keys.length === 0
    ? []
    : [`unknown field(s): ${shown.join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''} (the check takes no options)`];
}

/**
 * The target's freshness as the gate saw it when it started (resolveGate), shown in the run's Web UI details.
 * `unknown` when it could not be read: the gate never waits on it.
 */
export interface GateFreshness {
  state: FreshnessState | 'unknown';
  maxAgeSeconds: number | null;
  lastSuccessAt: string | null;
  ageSeconds: number | null;
}
