import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { airflowTimeMs, parseDagRun, parseDagRunPage, parseTaskInstancePage, parseToken, type TaskInstance } from '../../../bench/airflow/api.js';
import { parseSentinelSummary } from '../../../bench/airflow/sentinel.js';
import { airflowEnvironment, parseConfigOverrides, runtimeSettings, settingsTable, TUNED_SETTINGS, withOverrides } from '../../../bench/airflow/settings.js';
import { burstThroughput, ratios, runTiming, triggerToDecision } from '../../../bench/airflow/timings.js';
import { normaliseContext, predictWithRules, RULES } from '../../../domain/risk/rules.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

// Shapes as Airflow 3.3.2's REST API returned them on this machine (trimmed to the fields the bench reads and a few it ignores).
const RUN_ID = 'latency-0-1a2b3c4d';
const dagRunBody = {
  dag_run_id: RUN_ID,
  dag_id: 'sentinel_gate',
  logical_date: null,
  queued_at: '2026-12-07T06:51:08.066180Z',
  start_date: '2026-12-07T06:51:09.176845Z',
  end_date: '2026-12-07T06:51:21.600000Z',
  run_after: '2026-12-07T06:51:08.041584Z',
  state: 'success',
  conf: { target: 'bench-true' },
};
const ti = (task_id: string, state: string | null, queued: string | null, start: string | null, end: string | null): TaskInstance => ({
  task_id,
  dag_run_id: RUN_ID,
  state,
  scheduled_when: queued,
  queued_when: queued,
  start_date: start,
  end_date: end,
});
const taskInstances = [
  ti('predict', 'success', '2026-12-07T06:51:09.303091Z', '2026-12-07T06:51:09.666586Z', '2026-12-07T06:51:10.566696Z'),
  ti('branch', 'success', '2026-12-07T06:51:10.845235Z', '2026-12-07T06:51:11.376241Z', '2026-12-07T06:51:11.789330Z'),
  ti('proceed', 'success', null, '2026-12-07T06:51:12.066336Z', '2026-12-07T06:51:12.066343Z'),
  ti('high_risk', 'skipped', null, '2026-12-07T06:51:11.757518Z', '2026-12-07T06:51:11.757518Z'),
];

describe('Airflow timestamps', () => {
  // Epoch milliseconds in a double resolve to about 0.25 µs, hence 3 decimals.
  it('keeps the microseconds that Date.parse drops', () => {
    expect(airflowTimeMs('2026-12-07T06:51:09.666586Z') - Date.parse('2026-12-07T06:51:09Z')).toBeCloseTo(666.586, 3);
    expect(airflowTimeMs('2026-12-07T06:51:09Z')).toBe(Date.parse('2026-12-07T06:51:09Z'));
    expect(airflowTimeMs('2026-12-07T07:51:09.5+01:00')).toBe(Date.parse('2026-12-07T06:51:09.500Z'));
  });

  it('refuses what is not an ISO timestamp with a zone', () => {
    for (const bad of ['2026-12-07 06:51:09', '2026-12-07T06:51:09.1', 'yesterday', '']) expect(() => airflowTimeMs(bad)).toThrow(/not an Airflow timestamp/);
  });
});

describe('Airflow API answers', () => {
  it('reads a DAG run and pages of runs and task instances, ignoring fields the bench does not use', () => {
    expect(parseDagRun(dagRunBody)).toMatchObject({ dag_run_id: RUN_ID, state: 'success', queued_at: '2026-12-07T06:51:08.066180Z' });
    expect(parseDagRunPage({ dag_runs: [dagRunBody], total_entries: 7 }).total_entries).toBe(7);
    expect(parseTaskInstancePage({ task_instances: taskInstances, total_entries: 4 }).task_instances.map((t) => t.task_id)).toEqual([
      'predict',
      'branch',
      'proceed',
      'high_risk',
    ]);
    expect(parseToken({ access_token: 'eyJ.x.y' })).toBe('eyJ.x.y');
  });

  it('names what is wrong with an answer it cannot use', () => {
    expect(() => parseDagRun({ ...dagRunBody, state: undefined })).toThrow(/unexpected Airflow answer for a DAG run[\s\S]*state/);
    expect(() => parseToken({ detail: 'Invalid credentials' })).toThrow(/POST \/auth\/token[\s\S]*access_token/);
    expect(() => parseTaskInstancePage({ task_instances: 'none', total_entries: 0 })).toThrow(/task instances/);
  });
});

describe('run timing', () => {
  const run = parseDagRun(dagRunBody);

  it('times run queued_at to the branch end_date and splits the time by step', () => {
    const t = runTiming(run, taskInstances);
    expect(t.decision).toBe('proceed');
    expect(triggerToDecision(t)).toBeCloseTo(3723.15, 3);
    expect(t.breakdown.runToPredictQueued).toBeCloseTo(1236.911, 3);
    expect(t.breakdown.predictQueuedToStart).toBeCloseTo(363.495, 3);
    expect(t.breakdown.predictRun).toBeCloseTo(900.11, 3);
    expect(t.breakdown.predictEndToBranchQueued).toBeCloseTo(278.539, 3);
    expect(t.breakdown.branchQueuedToStart).toBeCloseTo(531.006, 3);
    expect(t.breakdown.branchRun).toBeCloseTo(413.089, 3);
    const sum = Object.values(t.breakdown).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(triggerToDecision(t), 6);
    expect(t.endedAt).toBe(airflowTimeMs('2026-12-07T06:51:21.600000Z'));
  });

  it('reports the high-risk branch when that is the one that ran', () => {
    const swapped = taskInstances.map((t) =>
      t.task_id === 'proceed' ? { ...t, state: 'skipped' } : t.task_id === 'high_risk' ? { ...t, state: 'success' } : t,
    );
    expect(runTiming(run, swapped).decision).toBe('high_risk');
  });

  it('refuses a run whose branch has not decided, or whose task instances are missing', () => {
    const undecided = taskInstances.map((t) => (t.task_id === 'branch' ? { ...t, state: 'running', end_date: null } : t));
    expect(() => runTiming(run, undecided)).toThrow(`run ${RUN_ID}: branch is "running", not success`);
    expect(() => runTiming(run, taskInstances.slice(1))).toThrow(`run ${RUN_ID} has no task instance "predict"`);
    const otherRun = taskInstances.map((t) => ({ ...t, dag_run_id: 'another' }));
    expect(() => runTiming(run, otherRun)).toThrow(/has no task instance/);
    expect(() => runTiming({ ...run, queued_at: null }, taskInstances)).toThrow(`run ${RUN_ID}: queued_at is not set`);
  });
});

describe('burst throughput and ratios', () => {
  const timing = (queuedAt: number, decidedAt: number) => ({
    runId: `r${queuedAt}`,
    queuedAt,
    decidedAt,
    decision: 'proceed' as const,
    endedAt: undefined,
    breakdown: { runToPredictQueued: 0, predictQueuedToStart: 0, predictRun: 0, predictEndToBranchQueued: 0, branchQueuedToStart: 0, branchRun: 0 },
  });

  it('divides the runs by the window from the first trigger to the last decision', () => {
    const t = burstThroughput([timing(1000, 3000), timing(1500, 9000), timing(1200, 6000), timing(1100, 4000)]);
    expect(t.runs).toBe(4);
    expect(t.decisionWindowSeconds).toBe(8);
    expect(t.triggerWindowSeconds).toBe(0.5);
    expect(t.decisionsPerSecond).toBe(0.5);
    expect(t.triggerToDecisionMs.p50).toBe(2900);
    expect(t.triggerToDecisionMs.max).toBe(7500);
  });

  it('refuses an empty burst', () => {
    expect(() => burstThroughput([])).toThrow(/no decided runs/);
  });

  it('puts Airflow over the project for latency and the project over Airflow for throughput', () => {
    expect(ratios({ p50: 2500, p95: 4000, decisionsPerSecond: 1.24 }, { p50: 63.9, p95: 100, decisionsPerSecond: 16 })).toEqual({
      latencyP50: 39.1,
      latencyP95: 40,
      throughput: 12.9,
    });
  });
});

describe("reading npm run bench's summary", () => {
  it('reads the recorded bench/results/decision-latency.json', () => {
    const recorded = JSON.parse(readFileSync(path.join(ROOT, 'bench/results/decision-latency.json'), 'utf8'));
    const figures = parseSentinelSummary(recorded);
    expect(figures.latencyMs.p50).toBe(recorded.latency.serverStartToDecisionMs.p50);
    expect(figures.decisionsPerSecond).toBe(recorded.throughput.decisionsPerSecond);
    expect(figures.burstRuns).toBe(recorded.throughput.runs);
    expect(figures.summary).toBe(recorded);
  });

  it('says which field it misses', () => {
    expect(() => parseSentinelSummary({ latency: {}, throughput: { runs: 1, decisionsPerSecond: 1 }, runsNotProceeding: 0, machine: {} })).toThrow(
      /cannot read[\s\S]*serverStartToDecisionMs/,
    );
  });
});

describe('Airflow settings', () => {
  it('become AIRFLOW__SECTION__KEY variables beside AIRFLOW_HOME', () => {
    const env = airflowEnvironment('/tmp/home', TUNED_SETTINGS);
    expect(env.AIRFLOW_HOME).toBe('/tmp/home');
    expect(env.AIRFLOW__CORE__EXECUTOR).toBe('LocalExecutor');
    expect(env.AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME).toBe('0.1');
    expect(env.AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL).toBe('600');
    expect(Object.keys(env)).toHaveLength(TUNED_SETTINGS.length + 1);
  });

  it('point the tasks at the api-server the bench started', () => {
    const runtime = runtimeSettings({
      home: '/h',
      dagsFolder: '/h/dags',
      databaseUrl: 'postgresql+psycopg2://u:p@127.0.0.1:5432/airflow_bench_1',
      port: 18088,
      jwtSecret: 'j',
      apiSecretKey: 's',
      user: 'bench',
      passwordsFile: '/h/passwords.json',
    });
    const env = airflowEnvironment('/h', runtime);
    expect(env.AIRFLOW__CORE__EXECUTION_API_SERVER_URL).toBe('http://127.0.0.1:18088/execution/');
    expect(env.AIRFLOW__API__BASE_URL).toBe('http://127.0.0.1:18088');
    expect(env.AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS).toBe('bench:admin');
  });

  it('take overrides for experiments, replacing the tuned value', () => {
    const overrides = parseConfigOverrides('{"scheduler.scheduler_idle_sleep_time": 1, "core.parallelism": "8"}');
    const merged = withOverrides(TUNED_SETTINGS, overrides);
    expect(merged.filter((s) => s.key === 'scheduler_idle_sleep_time').map((s) => s.value)).toEqual(['1']);
    expect(merged.filter((s) => s.key === 'parallelism').map((s) => s.value)).toEqual(['8']);
    expect(merged).toHaveLength(TUNED_SETTINGS.length);
    expect(parseConfigOverrides(undefined)).toEqual([]);
  });

  it('refuse overrides that are not "section.key": value', () => {
    expect(() => parseConfigOverrides('[1]')).toThrow(/must be a JSON object/);
    expect(() => parseConfigOverrides('{"parallelism": 8}')).toThrow(/"parallelism" is not "section.key"/);
    expect(() => parseConfigOverrides('{"core.parallelism": {"x": 1}}')).toThrow(/must be a string, number or boolean/);
  });

  it('are all in the documented table with their defaults', () => {
    const table = settingsTable(TUNED_SETTINGS);
    for (const s of TUNED_SETTINGS) expect(table).toContain(`| \`[${s.section}] ${s.key}\` | \`${s.value}\` |`);
  });
});

/**
 * The DAG's predict task uses a Python port of the gate's rules (bench/airflow/dags/sentinel_rules.py); it must give
 * the probability the TypeScript rules give. Plain python3, no Airflow.
 */
describe('the Python port of the gate rules', () => {
  const python = spawnSync('python3', ['--version']).status === 0;

  it.runIf(python)('gives the same probability as predictWithRules', () => {
    const cases = [
      { request: { target: 't', threshold: 0.5, startAt: '2026-12-07T06:00:00Z' }, context: {} },
      { request: { target: 't', threshold: 0.5, startAt: '2026-12-07T02:30:00Z' }, context: {} },
      {
        request: {
          target: 't',
          threshold: 0.5,
          startAt: '2026-12-07T12:00:00Z',
          estimatedDurationSeconds: 300,
          estimatedSizeBytes: 524288000,
          databaseSizeGb: 50,
        },
        context: { successRate: 0.92, recentFailures: 1 },
      },
      {
        request: {
          target: 't',
          threshold: 0.3,
          startAt: '2026-12-07T03:10:00+00:00',
          estimatedDurationSeconds: 9000,
          estimatedSizeBytes: 6 * 1024 ** 3,
          databaseSizeGb: 400,
          freeSpaceGb: 4,
        },
        context: {
          successRate: 0.7,
          recentFailures: 6,
          typicalDurationSeconds: 1200,
          typicalSizeBytes: 2 * 1024 ** 3,
          runCount: 40,
          hoursSinceLastSuccess: 72,
        },
      },
      {
        request: { target: 't', threshold: 0.5, startAt: '2026-12-07T20:00:00Z', estimatedSizeBytes: 1024 ** 3, freeSpaceGb: 1.5 },
        context: { successRate: 1, runCount: 200, typicalSizeBytes: 1024 ** 3 },
      },
    ];
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'bench/airflow/dags'))})`,
      'from sentinel_rules import RULES, failure_probability, normalise_context',
      'cases = json.load(sys.stdin)',
      'print(json.dumps({"rules": RULES, "probabilities": [failure_probability(c["request"], normalise_context(c["context"])) for c in cases]}))',
    ].join('\n');
    const out = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const result = JSON.parse(out.stdout) as { rules: unknown; probabilities: number[] };
    expect(result.rules).toEqual({ ...RULES, maintenanceHoursUtc: [...RULES.maintenanceHoursUtc] });
    const expected = cases.map((c) => predictWithRules(c.request, normaliseContext(c.context), c.request.startAt).failureProbability);
    expect(result.probabilities).toEqual(expected);
    // The cases cover both sides of the threshold, so a port that always said "low" would fail.
    expect(expected.some((p, i) => p > cases[i]!.request.threshold)).toBe(true);
    expect(expected.some((p, i) => p <= cases[i]!.request.threshold)).toBe(true);
  });
});
