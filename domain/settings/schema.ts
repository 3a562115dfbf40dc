import { z } from 'zod';
import { parseShare } from './share.js';
import { checkSqlProblem, parseExpectation } from '../drill/checks.js';
import { cronProblem, quoted } from './cron.js';
import { parseDurationMs } from './duration.js';
import { knownKeysAt, unknownKeyMessage } from './unknown-keys.js';
import { SettingsError } from './errors.js';

/*
 * Every object here is strict (z.strictObject): an unknown key is an error, never ignored, because a misspelt
 * safety setting (`treshold: 0.2`) silently left at its default is the worst kind of silence for a gate.
 * test/unit/settings/strict-schema.test.ts walks the schema and fails for any object that is not.
 */

/** Target names become parts of workflow and schedule IDs and file names, so they are kept to a safe alphabet. */
const targetName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');

const duration = z
  .union([z.string(), z.number()])
  .refine((value) => parseDurationMs(value) !== undefined, 'must be a duration like "90s", "15m", "12h" or seconds')
  .transform((value) => parseDurationMs(value)!);

/**
 * Share of a target's runs the gate may flag (issue 16, item 7): "5%" or a fraction (0.05), in (0, 100%]. Training
 * recommends the threshold that keeps within it on the held-out window (domain/models/thresholds.ts).
 */
const alertBudget = z
  .union([z.number(), z.string()])
  .refine((value) => parseShare(value) !== undefined, 'must be a share of runs like "5%" or 0.05, above 0 and at most 100%')
  .transform((value) => parseShare(value)!);

export { parseShare };

const wantedPrecision = z.number().gt(0, 'must be > 0').max(1, 'must be <= 1');

const gateFields = {
  name: targetName,
  policy: z.enum(['delay', 'manual']).default('delay'),
  /** A probability in (0, 1], or "auto": the active model's recommendation for this target's alert budget. */
  threshold: z
    .union([z.number().gt(0, 'must be > 0').max(1, 'must be <= 1'), z.literal('auto')], { error: 'must be a probability in (0, 1] or "auto"' })
    .default(0.5),
  alertBudget: alertBudget.optional(),
  wantedPrecision: wantedPrecision.optional(),
  delayMinutes: z
    .number()
    .positive('must be > 0')
    .max(7 * 24 * 60, 'must be at most a week')
    .default(60),
  maxDelays: z.number().int().min(0).max(100).default(3),
  approvalTimeout: duration.default(12 * 3_600_000),
  /** Who may approve or reject this target's high-risk runs (the names given as `--by`); absent: anyone. */
  approvers: z.array(z.string().min(1, 'must not be empty').max(200)).min(1, 'must list at least one approver (or leave it out)').optional(),
  /** Typical figures for this target, used by the predictor when the caller passes none. */
  estimatedDurationSeconds: z.number().nonnegative().optional(),
  estimatedSizeBytes: z.number().nonnegative().optional(),
  databaseSizeGb: z.number().nonnegative().optional(),
  freeSpaceGb: z.number().nonnegative().optional(),
  /**
   * Space for this target's retained backups, in GB (10^9 bytes), for the capacity forecast. Absent: the free space
   * of the filesystem holding BACKUP_DIR plus what the target already stores there.
   */
  capacityGb: z.number().positive('must be > 0').optional(),
  /**
   * Freshness objective (the RPO): the longest a target may go without a successful backup before a `stale-backup`
   * incident opens. Default: twice the `schedule` interval (domain/freshness/objective.ts); none without a schedule.
   */
  maxAge: duration.refine((ms) => ms >= 60_000, 'must be at least 1 minute (the check runs every 5 minutes)').optional(),
  /** Cron string or calendar spec for a scheduled pre-backup run (applied by `sentinel schedules apply`). */
  schedule: z.union([cronString(), calendarSpec()], { error: 'must be a cron string ("0 2 * * *") or a calendar spec ({ hour: 2, minute: 0 })' }).optional(),
};

/** A cron string the Temporal server accepts in a schedule's `cronExpressions` (domain/settings/cron.ts). */
function cronString() {
  return z.string().superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron ${quoted(value)}: ${problem}` });
  });
}

/** A Temporal CalendarSpec (@temporalio/client): each field a value, a {start, end, step} range, a list of them, or "*". */
function calendarSpec() {
  const field = <T extends z.ZodType>(unit: T) => {
    const range = z.strictObject({ start: unit, end: unit.optional(), step: z.number().int().positive().optional() });
    return z.union([z.literal('*'), unit, range, z.array(z.union([unit, range])).min(1)]).optional();
  };
  const int = (min: number, max: number) => z.number().int().min(min).max(max);
  return z.strictObject({
    second: field(int(0, 59)),
    minute: field(int(0, 59)),
    hour: field(int(0, 23)),
    dayOfMonth: field(int(1, 31)),
    month: field(z.enum(['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'])),
    year: field(int(2000, 2100)),
    dayOfWeek: field(z.enum(['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'])),
    comment: z.string().optional(),
  });
}

/** When a target's restore drill runs (default: weekly, Saturday 05:00 in `timezone`). */
const drillSchedule = () =>
  z.union([cronString(), calendarSpec()], { error: 'must be a cron string ("0 5 * * 6") or a calendar spec ({ dayOfWeek: SATURDAY, hour: 5 })' });

/** `{ sql, expect }`: one read-only query returning one value, compared with `expect` (`>= 1`). */
const drillCheck = z.strictObject({
  sql: z.string().superRefine((sql, ctx) => {
    const problem = checkSqlProblem(sql);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  expect: z.string().superRefine((text, ctx) => {
    const parsed = parseExpectation(text);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  }),
});

const drillTimeout = z
  .number()
  .positive()
  .default(6 * 3600);

/** A table name as pg_dump lists it: `orders` (schema public) or `sales.orders`; quoted names are not supported. */
const tableName = z.string().regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a table name like "orders" or "sales.orders"');

const postgresDrill = z.strictObject({
  schedule: drillSchedule().optional(),
  checks: z.array(drillCheck).default([]),
  /**
   * Tables whose rows are counted at backup time (in the dump's own snapshot) and compared after the restore.
   * Absent: every table of the database when that is cheap (estimated rows under COUNT_ALL_TABLES_MAX_ROWS).
   */
  countTables: z.array(tableName).optional(),
  timeoutSeconds: drillTimeout,
});

const commandDrill = z.strictObject({
  schedule: drillSchedule().optional(),
  /** e.g. `restic check --read-data-subset=5%`; its exit code decides. */
  command: z.string().min(1, 'must not be empty'),
  timeoutSeconds: drillTimeout,
});

/** How many of every kind to keep (restic forget); a count may be "unlimited". */
const keepCount = z.union([z.number().int('must be a whole number').min(0, 'must be >= 0'), z.literal('unlimited').transform(() => Infinity)]);

/**
 * Dump retention with `restic forget` semantics (domain/config-backup/retention.ts). A policy that would keep
 * nothing is refused: an empty `keep` (which restic reads as "keep everything") is ambiguous for deletion.
 */
const keepPolicy = z
  .strictObject({
    last: keepCount.optional(),
    hourly: keepCount.optional(),
    daily: keepCount.optional(),
    weekly: keepCount.optional(),
    monthly: keepCount.optional(),
    yearly: keepCount.optional(),
    within: duration.optional(),
  })
  .superRefine((policy, ctx) => {
    const counts = [policy.last, policy.hourly, policy.daily, policy.weekly, policy.monthly, policy.yearly];
    if (counts.every((count) => (count ?? 0) === 0) && (policy.within ?? 0) === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'would keep nothing: give at least one of last, hourly, daily, weekly, monthly, yearly (> 0) or within (e.g. "7d")',
      });
  });

const postgresTarget = z.strictObject({
  ...gateFields,
  /** Restore drills (docs/backup-assurance.md); with this section the target gets a weekly drill schedule. */
  drill: postgresDrill.optional(),
  /** Dump retention, applied after each successful backup and by `sentinel backup prune`. */
  keep: keepPolicy.optional(),
  kind: z.literal('postgres'),
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  timeoutSeconds: z
    .number()
    .positive()
    .default(6 * 3600),
});

const commandTarget = z.strictObject({
  ...gateFields,
  /** A restore drill: `drill.command` proves the backup restores (its exit code decides). */
  drill: commandDrill.optional(),
  kind: z.literal('command'),
  command: z.string().min(1, 'must not be empty'),
  timeoutSeconds: z.number().positive().default(3600),
});

const workflowTarget = z.strictObject({
  ...gateFields,
  kind: z.literal('workflow'),
  workflow: z.strictObject({ type: z.string().min(1), taskQueue: z.string().min(1) }),
  timeoutSeconds: z
    .number()
    .positive()
    .default(6 * 3600),
});

const target = z.discriminatedUnion('kind', [postgresTarget, commandTarget, workflowTarget], {
  error: 'kind must be one of postgres, command, workflow',
});

/*
 * Alert channels (docs/alerts.md). Secrets are never written here: a channel names the environment variable that
 * holds its URL, signing secret or routing key (`urlEnv`, `secretEnv`, `routingKeyEnv`), and a secret written inline
 * is refused with that advice. Whether the variables are set, hold a valid URL and a long enough secret is checked
 * where the environment is known (capabilities/alerts/channels.ts: the worker refuses to start otherwise).
 */
const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
const alertSeverity = z.enum(ALERT_SEVERITIES, { error: `must be one of ${ALERT_SEVERITIES.join(', ')}` });
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the NAME of an environment variable (letters, digits, "_")');
/** Lower case only, so a configured channel can never be named like the implicit `ALERT_WEBHOOK_URL` one. */
const channelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
const inline = (name: string) =>
  z.never({ error: `inline secrets are refused: put the value in an environment variable and name it with \`${name}\`` }).optional();

const channelFields = {
  name: channelName,
  /** The least severe alert this channel receives. */
  minSeverity: alertSeverity.default('warning'),
  /** Per HTTP attempt; the whole delivery of one alert fits in the sendAlert activity's 30 s. */
  timeoutSeconds: z.number().positive('must be > 0').max(20, 'must be at most 20 (one delivery must fit in 30 s)').default(10),
  /** HTTP attempts per alert for a 5xx, a timeout or an unreachable endpoint (a 4xx is never retried). */
  maxAttempts: z.number().int().min(1).max(5).default(3),
};

const webhookChannel = z.strictObject({
  ...channelFields,
  kind: z.literal('webhook'),
  urlEnv: envName,
  /** The HMAC-SHA256 signing secret, at least 32 bytes. */
  secretEnv: envName,
  url: inline('urlEnv'),
  secret: inline('secretEnv'),
});

const slackChannel = z.strictObject({
  ...channelFields,
  kind: z.literal('slack'),
  /** The incoming-webhook URL (its path is the credential). */
  urlEnv: envName,
  url: inline('urlEnv'),
  webhookUrl: inline('urlEnv'),
});

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const pagerdutyChannel = z.strictObject({
  ...channelFields,
  kind: z.literal('pagerduty'),
  /** The Events API v2 integration (routing) key. */
  routingKeyEnv: envName,
  /** The Events API endpoint (not a secret); overridable for a proxy, an EU account or tests. */
  eventsUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).default(PAGERDUTY_EVENTS_URL),
  routingKey: inline('routingKeyEnv'),
  integrationKey: inline('routingKeyEnv'),
});

const alertChannel = z.discriminatedUnion('kind', [webhookChannel, slackChannel, pagerdutyChannel], {
  error: 'kind must be one of webhook, slack, pagerduty',
});

/** Which channels receive which alerts; absent fields match everything (docs/alerts.md, "Routes"). */
const alertRoute = z.strictObject({
  targets: z.array(targetName).min(1).optional(),
  severities: z.array(alertSeverity).min(1).optional(),
  channels: z.array(channelName).min(1, 'must name at least one channel'),
});

const alertsSection = z.strictObject({
  channels: z.array(alertChannel).default([]),
  routes: z.array(alertRoute).default([]),
});

/**
 * The live quality monitor of the active failure model (issue 16, item 8; docs/models.md, "Live monitoring and
 * automatic rollback"). Defaults: domain/models/live-quality.ts DEFAULT_MODEL_MONITOR_POLICY.
 */
const modelMonitorSection = z.strictObject({
  /** false: the hourly check records nothing, never alerts and never rolls back. */
  enabled: z.boolean().default(true),
  /** Live outcomes of runs that started in the last `windowDays` days ... */
  windowDays: z.number().int().min(1).max(365).default(14),
  /** ... at most the newest `maxOutcomes` of them. */
  maxOutcomes: z.number().int().min(10).max(100_000).default(1000),
  /** No verdict below these counts. */
  minOutcomes: z.number().int().min(10).max(100_000).default(100),
  minFailures: z.number().int().min(1).max(100_000).default(10),
  brierTolerance: z.number().min(0).max(1).default(0.02),
  prAucTolerance: z.number().min(0).max(1).default(0.05),
  /** Level of the one-sided bootstrap lower bound a gap must clear to count as a degradation. */
  confidence: z.number().min(0.5).max(0.999).default(0.95),
  bootstrapSamples: z.number().int().min(100).max(10_000).default(500),
  /** rollback: start rollbackModelWorkflow to the model it replaced (when there is one); alert: only alert. */
  onDegraded: z.enum(['rollback', 'alert']).default('rollback'),
});

export const settingsSchema = z
  .strictObject({
    timezone: z.string().default('UTC'),
    /** Default alert budget / wanted precision of every target (a target's own wins). */
    alertBudget: alertBudget.optional(),
    wantedPrecision: wantedPrecision.optional(),
    targets: z.array(target).default([]),
    /** Absent: no configured channels (ALERT_WEBHOOK_URL, when set, still receives every alert). */
    alerts: alertsSection.optional(),
    /** Absent: the defaults (monitoring on, automatic rollback on). */
    modelMonitor: modelMonitorSection.optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.targets.forEach((t, index) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', index, 'name'], message: `duplicate target name "${t.name}"` });
      seen.add(t.name);
    });
    const channels = new Set<string>();
    config.alerts?.channels.forEach((c, index) => {
      if (channels.has(c.name)) ctx.addIssue({ code: 'custom', path: ['alerts', 'channels', index, 'name'], message: `duplicate channel name "${c.name}"` });
      channels.add(c.name);
    });
    // A route naming a channel or target that does not exist is a typo that would silently drop alerts.
    config.alerts?.routes.forEach((route, index) => {
      route.channels.forEach((name, i) => {
        if (!channels.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['alerts', 'routes', index, 'channels', i],
            message: `unknown channel "${name}"; configured channels: ${[...channels].join(', ') || '(none)'}`,
          });
      });
      route.targets?.forEach((name, i) => {
        if (!seen.has(name)) ctx.addIssue({ code: 'custom', path: ['alerts', 'routes', index, 'targets', i], message: `unknown target "${name}"` });
      });
    });
  });

export type SentinelSettings = z.infer<typeof settingsSchema>;
export type TargetConfig = SentinelSettings['targets'][number];
export type TargetKind = TargetConfig['kind'];
export type AlertChannelConfig = NonNullable<SentinelSettings['alerts']>['channels'][number];
export type AlertRouteConfig = NonNullable<SentinelSettings['alerts']>['routes'][number];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type PostgresTargetConfig = Extract<TargetConfig, { kind: 'postgres' }>;
export type KeepPolicy = NonNullable<PostgresTargetConfig['keep']>;

export { SettingsError };

/** `targets[0].threshold` style paths, so an operator can find the bad field. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${shortKey(part)}` : shortKey(part)), '');
}

/** A key as shown in a message: an unknown key is the file's own text, so a 5,000-character one is cut. */
function shortKey(part: PropertyKey): string {
  const text = String(part);
  return text.length > MAX_SHOWN_KEY ? `${text.slice(0, MAX_SHOWN_KEY)}…` : text;
}
const MAX_SHOWN_KEY = 60;
/** Problems listed in the message (all are in `problems`): enough to fix a file, short enough to read. */
const MAX_LISTED_PROBLEMS = 10;

/** The line of the file a path is on; supplied by the YAML reader, which has the positions. */
export type LocatePath = (path: readonly PropertyKey[]) => number | undefined;

/**
 * One line per problem: `targets[0].threshold: must be <= 1`; an unknown key gets its own line with the nearest
 * known key (`targets[0].treshold: unknown key; did you mean \`threshold\`?`); a target's problems name it.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], data: unknown, locate: LocatePath = () => undefined): string[] {
  const targets = (data as { targets?: unknown } | null)?.targets;
  /**
   * ` (target "orders-db", line 7)`: where. A schedule problem names its target too: schedules are applied per
   * target (`sentinel/pre-backup/<name>`), and that is the name an operator sees when one is missing. Only a
   * well-formed name is echoed (the file's text, which may be anything).
   */
  const context = (path: readonly PropertyKey[]): string => {
    const parts: string[] = [];
    if (path[0] === 'targets' && typeof path[1] === 'number' && ['schedule', 'drill', 'keep'].includes(String(path[2])) && Array.isArray(targets)) {
      const name = (targets[path[1]] as { name?: unknown } | undefined)?.name;
      if (targetName.safeParse(name).success) parts.push(`target "${name as string}"`);
    }
    const line = locate(path);
    if (line !== undefined) parts.push(`line ${line}`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  };
  const described = issues.flatMap(expandUnion).flatMap((issue): Array<{ line: number | undefined; text: string }> => {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(settingsSchema, issue.path, data);
      let listedKnown = false; // the allowed keys once per object, not once per unknown key
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        const message = unknownKeyMessage(key, known, !listedKnown);
        listedKnown ||= message.includes('known keys here');
        return { line: locate(path), text: `${formatIssuePath(path)}: ${message}${context(path)}` };
      });
    }
    return [{ line: locate(issue.path), text: `${formatIssuePath(issue.path) || '(root)'}: ${issue.message}${context(issue.path)}` }];
  });
  // In file order when the positions are known (a stable sort keeps zod's order otherwise).
  return described.sort((x, y) => (x.line ?? Infinity) - (y.line ?? Infinity)).map((d) => d.text);
}

/**
 * zod reports a value no option of a union accepts as "Invalid input" at the union. Say what the one option that
 * fits the value's type objects to (a calendar spec's `hours: 3`, not "Invalid input" at `schedule`), or, when
 * only fixed values fit, which ones.
 */
function expandUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const rootOnly = (branch: readonly z.core.$ZodIssue[], code: string) => branch.length === 1 && branch[0]!.code === code && branch[0]!.path.length === 0;
  const fitting = issue.errors.filter((branch) => !rootOnly(branch, 'invalid_type'));
  const values = fitting.filter((branch) => rootOnly(branch, 'invalid_value'));
  const deeper = fitting.filter((branch) => !values.includes(branch));
  if (deeper.length === 1) return deeper[0]!.flatMap((inner) => expandUnion({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue));
  if (deeper.length === 0 && values.length > 0) {
    const allowed = values.flatMap((branch) => (branch[0] as z.core.$ZodIssueInvalidValue).values).map((v) => JSON.stringify(v));
    return [{ code: 'custom', path: issue.path, input: issue.input, message: `must be one of ${allowed.join(', ')}` }];
  }
  return [issue];
}

export function parseSettings(data: unknown, source = 'sentinel.yaml', locate?: LocatePath): SentinelSettings {
  const input = data ?? {};
  const result = settingsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = describeIssues(result.error.issues, input, locate);
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  if (problems.length > listed.length) listed.push(`... and ${problems.length - listed.length} more`);
  throw new SettingsError(`${source} is invalid:\n  ${listed.join('\n  ')}`, problems);
}

export function findTarget(config: SentinelSettings, name: string): TargetConfig {
  const found = config.targets.find((t) => t.name === name);
  if (!found) {
    const known = config.targets.map((t) => t.name).join(', ') || '(none)';
    throw new SettingsError(`unknown target "${name}"; configured targets: ${known}`);
  }
  return found;
}

/** The threshold goal of a target: its own alert budget / wanted precision, else the top-level ones. */
export function thresholdGoalOf(config: SentinelSettings, target: TargetConfig | undefined): { alertBudget?: number; wantedPrecision?: number } {
  const own = target && (target.alertBudget !== undefined || target.wantedPrecision !== undefined);
  const source = own ? target : config;
  return {
    ...(source.alertBudget !== undefined ? { alertBudget: source.alertBudget } : {}),
    ...(source.wantedPrecision !== undefined ? { wantedPrecision: source.wantedPrecision } : {}),
  };
}
