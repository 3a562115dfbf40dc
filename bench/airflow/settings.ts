/**
 * Every Airflow setting `npm run bench:airflow` uses, with why: the single source for the environment the Airflow
 * processes get, for bench/results/airflow.json and for the table in BENCHMARKS.md ("Against Apache Airflow").
 * The aim is Airflow as fast as it can reasonably be on one machine with LocalExecutor, not its defaults.
 */
export const AIRFLOW_VERSION = '3.3.2';
export const DAG_ID = 'sentinel_gate';

export interface AirflowSetting {
  section: string;
  key: string;
  value: string;
  /** Airflow's own default, for the table. */
  defaultValue: string;
  why: string;
}

/** Settings that do not depend on the run (ports, paths and secrets are added by `runtimeSettings`). */
export const TUNED_SETTINGS: readonly AirflowSetting[] = [
  { section: 'core', key: 'executor', value: 'LocalExecutor', defaultValue: 'LocalExecutor', why: 'the issue asks for LocalExecutor' },
  {
    section: 'core',
    key: 'parallelism',
    value: '8',
    defaultValue: '32',
    why: 'task slots (LocalExecutor worker processes): 4 per core; with 32, a burst on 2 cores had 32 task processes calling the api-server at once and its database pool timed out (HTTP 500)',
  },
  {
    section: 'core',
    key: 'max_active_runs_per_dag',
    value: '1000',
    defaultValue: '16',
    why: 'the burst starts 100 runs at once; none may wait for a run slot (the DAG also sets max_active_runs=1000)',
  },
  {
    section: 'core',
    key: 'max_active_tasks_per_dag',
    value: '1000',
    defaultValue: '16',
    why: 'likewise for task slots (the DAG sets max_active_tasks=1000)',
  },
  { section: 'core', key: 'dags_are_paused_at_creation', value: 'False', defaultValue: 'True', why: 'runs start without an unpause call' },
  { section: 'core', key: 'load_examples', value: 'False', defaultValue: 'True', why: 'only the bench DAG is parsed and scheduled' },
  {
    section: 'scheduler',
    key: 'scheduler_idle_sleep_time',
    value: '0.1',
    defaultValue: '1',
    why: 'how long an idle scheduler loop sleeps: the main delay between a task finishing and the next being queued',
  },
  {
    section: 'scheduler',
    key: 'scheduler_heartbeat_sec',
    value: '5',
    defaultValue: '5',
    why: "kept: the scheduler job's liveness heartbeat, not its loop; a loop that found work runs again at once",
  },
  {
    section: 'scheduler',
    key: 'max_tis_per_query',
    value: '0',
    defaultValue: '16',
    why: '0 = [core] parallelism: one loop may queue as many task instances as there are slots',
  },
  {
    section: 'scheduler',
    key: 'max_dagruns_per_loop_to_schedule',
    value: '100',
    defaultValue: '20',
    why: 'one loop examines every run of the burst',
  },
  {
    section: 'dag_processor',
    key: 'refresh_interval',
    value: '300',
    defaultValue: '300',
    why: 'kept (formerly dag_dir_list_interval): the folder is listed at start-up, which is when the one DAG file appears',
  },
  {
    section: 'dag_processor',
    key: 'min_file_process_interval',
    value: '600',
    defaultValue: '30',
    why: 'the DAG never changes during the bench: no re-parse competes with the measured runs',
  },
  { section: 'dag_processor', key: 'parsing_processes', value: '1', defaultValue: '2', why: 'one DAG file' },
  {
    section: 'api',
    key: 'workers',
    value: '2',
    defaultValue: '1',
    why: "one per core, as Airflow's documentation advises: the api-server takes the burst's trigger requests and every task's Execution API calls",
  },
  {
    section: 'logging',
    key: 'logging_level',
    value: 'WARNING',
    defaultValue: 'INFO',
    why: 'no info line per request, loop and task: less CPU and disk I/O on the measured path',
  },
];

export interface RuntimeInputs {
  home: string;
  dagsFolder: string;
  databaseUrl: string;
  port: number;
  jwtSecret: string;
  apiSecretKey: string;
  user: string;
  passwordsFile: string;
}

/** Settings that name this run's resources (secrets are generated per run and never written to the results). */
export function runtimeSettings(r: RuntimeInputs): AirflowSetting[] {
  const base = `http://127.0.0.1:${r.port}`;
  return [
    { section: 'core', key: 'dags_folder', value: r.dagsFolder, defaultValue: '$AIRFLOW_HOME/dags', why: 'a copy of bench/airflow/dags' },
    { section: 'database', key: 'sql_alchemy_conn', value: r.databaseUrl, defaultValue: 'SQLite', why: 'its own database on the test PostgreSQL' },
    { section: 'api', key: 'host', value: '127.0.0.1', defaultValue: '0.0.0.0', why: 'loopback only' },
    { section: 'api', key: 'port', value: String(r.port), defaultValue: '8080', why: 'a free port' },
    { section: 'api', key: 'base_url', value: base, defaultValue: '', why: 'where the tasks reach the Execution API' },
    { section: 'core', key: 'execution_api_server_url', value: `${base}/execution/`, defaultValue: '{base_url}/execution/', why: 'explicit' },
    { section: 'api_auth', key: 'jwt_secret', value: r.jwtSecret, defaultValue: '', why: 'shared by the scheduler and the api-server (random per run)' },
    { section: 'api', key: 'secret_key', value: r.apiSecretKey, defaultValue: 'random per process', why: 'random per run' },
    {
      section: 'core',
      key: 'simple_auth_manager_users',
      value: `${r.user}:admin`,
      defaultValue: 'admin:admin',
      why: 'the REST API is called with a JWT from POST /auth/token, as a client would',
    },
    { section: 'core', key: 'simple_auth_manager_passwords_file', value: r.passwordsFile, defaultValue: '', why: 'a random password per run' },
  ];
}

/** Airflow reads `AIRFLOW__{SECTION}__{KEY}` from the environment, overriding airflow.cfg. */
export function airflowEnvironment(home: string, settings: readonly AirflowSetting[]): Record<string, string> {
  const env: Record<string, string> = { AIRFLOW_HOME: home };
  for (const s of settings) env[`AIRFLOW__${s.section.toUpperCase()}__${s.key.toUpperCase()}`] = s.value;
  return env;
}

/**
 * Extra settings for experiments, as JSON `{"section.key": "value"}` (BENCH_AIRFLOW_CONFIG); they replace or add to
 * the tuned ones and are recorded in the results. The recorded figures use none.
 */
export function parseConfigOverrides(json: string | undefined): AirflowSetting[] {
  if (!json) return [];
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('BENCH_AIRFLOW_CONFIG must be a JSON object of "section.key": "value"');
  return Object.entries(value).map(([name, v]) => {
    const match = /^([a-z_]+)\.([a-z_]+)$/.exec(name);
    if (!match) throw new Error(`BENCH_AIRFLOW_CONFIG: "${name}" is not "section.key"`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new Error(`BENCH_AIRFLOW_CONFIG: "${name}" must be a string, number or boolean`);
    return { section: match[1]!, key: match[2]!, value: String(v), defaultValue: '', why: 'BENCH_AIRFLOW_CONFIG override' };
  });
}

/** The tuned settings with the overrides applied (an override replaces the setting with the same section and key). */
export function withOverrides(base: readonly AirflowSetting[], overrides: readonly AirflowSetting[]): AirflowSetting[] {
  const id = (s: AirflowSetting) => `${s.section}.${s.key}`;
  const replaced = new Set(overrides.map(id));
  return [...base.filter((s) => !replaced.has(id(s))), ...overrides];
}

export function settingsTable(settings: readonly AirflowSetting[]): string {
  return [
    '| setting | value | Airflow default | why |',
    '|---|---|---|---|',
    ...settings.map((s) => `| \`[${s.section}] ${s.key}\` | \`${s.value}\` | ${s.defaultValue ? `\`${s.defaultValue}\`` : '–'} | ${s.why} |`),
  ].join('\n');
}
