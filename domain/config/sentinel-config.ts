import { z } from 'zod';
import { parseDurationMs } from './duration.js';

/** Target names become parts of workflow and schedule IDs and file names, so they are kept to a safe alphabet. */
const targetName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');

const duration = z
  .union([z.string(), z.number()])
  .refine((value) => parseDurationMs(value) !== undefined, 'must be a duration like "90s", "15m", "12h" or seconds')
  .transform((value) => parseDurationMs(value)!);

const gateFields = {
  name: targetName,
  policy: z.enum(['delay', 'manual']).default('delay'),
  threshold: z.number().gt(0, 'must be > 0').max(1, 'must be <= 1').default(0.5),
  delayMinutes: z.number().positive('must be > 0').max(7 * 24 * 60, 'must be at most a week').default(60),
  maxDelays: z.number().int().min(0).max(100).default(3),
  approvalTimeout: duration.default(12 * 3_600_000),
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
  /** Cron string or calendar spec for a scheduled pre-backup run (applied by `sentinel schedules apply`). */
  schedule: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
};

const postgresTarget = z.object({
  ...gateFields,
  kind: z.literal('postgres'),
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  timeoutSeconds: z.number().positive().default(6 * 3600),
});

const commandTarget = z.object({
  ...gateFields,
  kind: z.literal('command'),
  command: z.string().min(1, 'must not be empty'),
  timeoutSeconds: z.number().positive().default(3600),
});

const workflowTarget = z.object({
  ...gateFields,
  kind: z.literal('workflow'),
  workflow: z.object({ type: z.string().min(1), taskQueue: z.string().min(1) }),
  timeoutSeconds: z.number().positive().default(6 * 3600),
});

const target = z.discriminatedUnion('kind', [postgresTarget, commandTarget, workflowTarget], {
  error: 'kind must be one of postgres, command, workflow',
});

export const sentinelConfigSchema = z
  .object({
    timezone: z.string().default('UTC'),
    targets: z.array(target).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.targets.forEach((t, index) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', index, 'name'], message: `duplicate target name "${t.name}"` });
      seen.add(t.name);
    });
  });

export type SentinelConfig = z.infer<typeof sentinelConfigSchema>;
export type TargetConfig = SentinelConfig['targets'][number];
export type TargetKind = TargetConfig['kind'];

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `targets[0].threshold` style paths, so an operator can find the bad field. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

export function parseSentinelConfig(data: unknown, source = 'sentinel.yaml'): SentinelConfig {
  const result = sentinelConfigSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatIssuePath(issue.path) || '(root)'}: ${issue.message}`);
  throw new ConfigError(`${source} is invalid:\n  ${problems.join('\n  ')}`, problems);
}

export function findTarget(config: SentinelConfig, name: string): TargetConfig {
  const found = config.targets.find((t) => t.name === name);
  if (!found) {
    const known = config.targets.map((t) => t.name).join(', ') || '(none)';
    throw new ConfigError(`unknown target "${name}"; configured targets: ${known}`);
  }
  return found;
}
