/**
 * Workflow input validators under hostile input. They run inside workflow code, where a thrown TypeError or
 * RangeError is not a clean refusal but a workflow task failure that Temporal retries forever: so they must
 * return a list of clear problems for anything at all, and never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfigBackupInput } from '../../../domain/config-backup/contract.js';
import { validateFreshnessCheckInput } from '../../../domain/freshness/contract.js';
import { MetricsInputError } from '../../../domain/metrics/errors.js';
import { forecast, validateHorizon, validateSizes } from '../../../domain/metrics/forecast.js';
import { validateCapacity } from '../../../domain/metrics/capacity.js';
import { validateRollbackModelInput, validateTrainModelInput } from '../../../domain/models/contract.js';
import { validateModelMonitorInput } from '../../../domain/models/monitor-contract.js';
import { resolveHorizonDays, validateAnomalyMonitorInput, validateCapacityForecastInput } from '../../../domain/monitoring/inputs.js';
import { validatePreBackupInput } from '../../../domain/pre-backup/contract.js';
import { validateRestoreDrillInput } from '../../../domain/drill/contract.js';
import { anyText, anyValue, nestedValue, structuredButWrong } from './arbitraries.js';
import { DEEP_NESTING, RUNS_CHEAP } from './budgets.js';
import { assertClearProblems, expectClearOutcome, expectNoThrow, hostileParameters } from './expect-clear-error.js';

const NOW = Date.UTC(2026, 0, 31, 12);

const targetName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,62}$/);
const shapes = {
  preBackup: structuredButWrong({
    target: targetName,
    policy: fc.constantFrom('delay', 'manual'),
    threshold: fc.double({ min: 0, max: 1.2, noNaN: true }),
    delayMinutes: fc.double({ min: -1, max: 1e4, noNaN: true }),
    maxDelays: fc.integer({ min: -2, max: 10 }),
    approvalTimeoutMs: fc.integer(),
    estimatedDurationSeconds: fc.double(),
    estimatedSizeBytes: fc.double(),
    databaseSizeGb: fc.double(),
    freeSpaceGb: fc.double(),
    context: structuredButWrong({ successRate: fc.double({ min: -0.5, max: 1.5 }), recentFailures: fc.integer({ min: -1, max: 20 }) }),
  }),
  configBackup: structuredButWrong({
    envPrefix: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
    sensitiveKeys: fc.array(anyText(30), { maxLength: 5 }),
    files: fc.array(fc.oneof(anyText(30), fc.constant('/etc/app.yaml')), { maxLength: 5 }),
    apps: fc.array(structuredButWrong({ name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), config: fc.object(), encryptSensitive: fc.boolean() }), {
      maxLength: 4,
    }),
  }),
  train: structuredButWrong({
    algorithm: fc.constantFrom('sentinel-forest', 'sentinel-boosting', 'ml-random-forest', 'xgboost'),
    params: fc.object(),
    minFailures: fc.integer({ min: -5, max: 2_000_000 }),
  }),
  rollback: structuredButWrong({ toVersion: fc.integer({ min: -3, max: 50 }), keepPaused: fc.boolean(), reason: anyText(50), scheduleId: anyText(20) }),
  anomalyMonitor: structuredButWrong({
    since: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyText(30),
    ),
  }),
  restoreDrill: structuredButWrong({ target: targetName, heartbeatTimeoutSeconds: fc.double({ min: -5, max: 1_000 }) }),
  capacity: structuredButWrong({ horizonDays: fc.double({ min: -10, max: 2_000 }), targets: fc.array(fc.oneof(targetName, anyText(20)), { maxLength: 4 }) }),
};

const VALIDATORS: Array<{ name: string; validate: (input: unknown) => unknown; shape: fc.Arbitrary<unknown> }> = [
  { name: 'validatePreBackupInput', validate: validatePreBackupInput, shape: shapes.preBackup },
  { name: 'validateConfigBackupInput', validate: validateConfigBackupInput, shape: shapes.configBackup },
  { name: 'validateTrainModelInput', validate: validateTrainModelInput, shape: shapes.train },
  { name: 'validateRollbackModelInput', validate: validateRollbackModelInput, shape: shapes.rollback },
  { name: 'validateAnomalyMonitorInput', validate: (input) => validateAnomalyMonitorInput(input, NOW), shape: shapes.anomalyMonitor },
  { name: 'validateCapacityForecastInput', validate: validateCapacityForecastInput, shape: shapes.capacity },
  {
    name: 'validateFreshnessCheckInput',
    validate: validateFreshnessCheckInput,
    shape: structuredButWrong({ targets: fc.array(targetName, { maxLength: 3 }) }),
  },
  { name: 'validateRestoreDrillInput', validate: validateRestoreDrillInput, shape: shapes.restoreDrill },
  { name: 'validateModelMonitorInput', validate: validateModelMonitorInput, shape: structuredButWrong({ trainingScheduleId: anyText(20) }) },
];

describe.each(VALIDATORS)('$name under hostile input', ({ validate, shape }) => {
  it(`returns clear problems for any value at all (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(anyValue(), (input) => {
        assertClearProblems(expectNoThrow(() => validate(input)));
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`returns clear problems for structured-but-wrong inputs (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(shape, (input) => {
        assertClearProblems(expectNoThrow(() => validate(input)));
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it('names a field holding a bigint, a cycle or a 10,000-level nesting instead of crashing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [10n, cyclic, nestedValue(DEEP_NESTING), 'x'.repeat(1_000_000)]) {
      for (const field of ['threshold', 'algorithm', 'since', 'horizonDays', 'targets', 'toVersion', 'apps', 'context']) {
        assertClearProblems(expectNoThrow(() => validate({ [field]: value })));
      }
    }
  });
});

describe('hand-picked refusals keep naming the value', () => {
  it('echo short values as JSON and long or exotic ones in a bounded form', () => {
    expect(validatePreBackupInput({ target: 'db', threshold: 2 })).toEqual(['threshold must be in (0, 1] (got 2)']);
    expect(validatePreBackupInput({ target: 'db', threshold: '0.5' })).toEqual(['threshold must be in (0, 1] (got "0.5")']);
    expect(validatePreBackupInput({ target: 'db', threshold: 5n })[0]).toMatch(/^threshold must be in \(0, 1\] \(got .*5.*\)$/);
    expect(validateTrainModelInput({ algorithm: nestedValue(DEEP_NESTING, 'array') })).toEqual([
      'algorithm must be one of sentinel-forest, sentinel-boosting, ml-random-forest (got a list)',
    ]);
    expect(validateAnomalyMonitorInput({ since: 'x'.repeat(10_000) }, NOW)[0]!.length).toBeLessThan(300);
    expect(validateCapacityForecastInput({ targets: [7n] })[0]).toMatch(/^targets\[0\] must be a target name \(got .*7.*\)$/);
    expect(validateConfigBackupInput({ ['k'.repeat(100_000)]: 1 })[0]!.length).toBeLessThan(300);
    expect(validateRestoreDrillInput({ target: 'db', ['k'.repeat(100_000)]: 1 })[0]!.length).toBeLessThan(300);
    expect(validateRestoreDrillInput({ target: 'db', heartbeatTimeoutSeconds: 1 })).toEqual([
      'heartbeatTimeoutSeconds must be a number of seconds in [10, 600] (the drill heartbeats every 5 s; got 1)',
    ]);
  });
});

describe('resolveHorizonDays (environment value for the capacity workflow)', () => {
  it(`returns a horizon or throws a RangeError naming CAPACITY_ALERT_HORIZON_DAYS (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(fc.oneof(anyText(40), fc.double().map(String), fc.constant(undefined)), (raw) => {
        const outcome = expectClearOutcome(() => resolveHorizonDays(undefined, raw), { accept: [RangeError] });
        if (outcome.ok) expect(outcome.value.horizonDays).toBeGreaterThan(0);
        else expect(outcome.error.message).toContain('CAPACITY_ALERT_HORIZON_DAYS');
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});

describe('metrics inputs (the capacity forecast behind forecastCapacity and `sentinel forecast`)', () => {
  // Typed `number` parameters: hostile here means any double (NaN, infinities, -0, 1e308) and any series of them;
  // values of other types only come through the workflow input and CLI parsers tested above.
  const anyNumber = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE, 36_500, 36_500.0001));
  const sizes = fc.oneof(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 40 }), fc.array(anyNumber, { maxLength: 40 }));

  it(`validateSizes, validateHorizon, validateCapacity and forecast answer or throw a MetricsInputError naming the value (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(sizes, anyNumber, anyNumber, (series, days, capacity) => {
        const accept = { accept: [MetricsInputError] };
        expectClearOutcome(() => validateSizes(series), accept);
        expectClearOutcome(() => validateHorizon(days), accept);
        expectClearOutcome(() => validateCapacity(capacity), accept);
        const result = expectClearOutcome(() => forecast(series, days, { capacityGb: capacity }), accept);
        if (result.ok)
          for (const v of [result.value.predictedSizeGb, result.value.lower, result.value.upper, result.value.slopePerDay])
            expect(Number.isFinite(v)).toBe(true);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});
