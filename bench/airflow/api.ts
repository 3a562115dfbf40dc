import { z } from 'zod';
import { DAG_ID } from './settings.js';

/**
 * The few Airflow 3 REST API calls the bench makes (public API v2 on the api-server), and the parsing of their
 * answers. Plain fetch: the official Python client would put a second interpreter and its start-up on the
 * measured path, and the TypeScript client generated from the OpenAPI document is not published on npm.
 */

// Airflow's timestamps are ISO 8601 with a zone ("2026-12-07T06:51:09.666586Z"); Date keeps milliseconds only,
// so the microseconds are kept by hand.
const timestamp = z.string().nullable();

const dagRunSchema = z.object({
  dag_run_id: z.string(),
  dag_id: z.string(),
  state: z.string(),
  queued_at: timestamp,
  start_date: timestamp,
  end_date: timestamp,
  run_after: timestamp,
});
export type DagRun = z.infer<typeof dagRunSchema>;

const taskInstanceSchema = z.object({
  task_id: z.string(),
  dag_run_id: z.string(),
  state: z.string().nullable(),
  scheduled_when: timestamp.optional(),
  queued_when: timestamp,
  start_date: timestamp,
  end_date: timestamp,
});
export type TaskInstance = z.infer<typeof taskInstanceSchema>;

const dagRunPage = z.object({ dag_runs: z.array(dagRunSchema), total_entries: z.number() });
const taskInstancePage = z.object({ task_instances: z.array(taskInstanceSchema), total_entries: z.number() });
const tokenSchema = z.object({ access_token: z.string().min(1) });
const dagSchema = z.object({ dag_id: z.string(), is_paused: z.boolean() });

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new Error(`unexpected Airflow answer for ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

export const parseDagRun = (body: unknown): DagRun => parse(dagRunSchema, body, 'a DAG run');
export const parseDagRunPage = (body: unknown) => parse(dagRunPage, body, 'a list of DAG runs');
export const parseTaskInstancePage = (body: unknown) => parse(taskInstancePage, body, 'a list of task instances');
export const parseToken = (body: unknown): string => parse(tokenSchema, body, 'POST /auth/token').access_token;
export const parseDag = (body: unknown) => parse(dagSchema, body, 'a DAG');

/** Milliseconds since the epoch with the microseconds Airflow records (Date.parse would drop them). */
export function airflowTimeMs(value: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match) throw new Error(`not an Airflow timestamp: ${JSON.stringify(value)}`);
  const whole = Date.parse(`${match[1]}${match[3]}`);
  const fraction = match[2] ? Number(`0.${match[2]}`) * 1000 : 0;
  return whole + fraction;
}

// Generous: during the burst, 50 trigger requests queue at the api-server, and on a loaded machine the last ones
// wait over a minute (measured); the bench's total timeout still bounds the whole run.
const REQUEST_TIMEOUT_MS = 300_000;

export const FINISHED_RUN_STATES = new Set(['success', 'failed']);

export class AirflowApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class AirflowApi {
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: { username: string; password: string },
  ) {}

  /** A JWT from the simple auth manager, as any REST client of Airflow 3 gets one. */
  async login(): Promise<void> {
    this.token = parseToken(await this.call('POST', '/auth/token', this.credentials, false));
  }

  /** The api-server answers (it reports its own, the scheduler's and the dag-processor's health). */
  async health(): Promise<unknown> {
    return this.call('GET', '/api/v2/monitor/health', undefined, false);
  }

  async dag(): Promise<{ dag_id: string; is_paused: boolean }> {
    return parseDag(await this.call('GET', `/api/v2/dags/${DAG_ID}`));
  }

  /** Triggers one run now (no logical date), the way `POST /dags/{id}/dagRuns` is documented for manual runs. */
  async trigger(runId: string, conf: Record<string, unknown>): Promise<DagRun> {
    return parseDagRun(await this.call('POST', `/api/v2/dags/${DAG_ID}/dagRuns`, { dag_run_id: runId, logical_date: null, conf }));
  }

  async dagRun(runId: string): Promise<DagRun> {
    return parseDagRun(await this.call('GET', `/api/v2/dags/${DAG_ID}/dagRuns/${encodeURIComponent(runId)}`));
  }

  async taskInstances(runId: string): Promise<TaskInstance[]> {
    return parseTaskInstancePage(await this.call('GET', `/api/v2/dags/${DAG_ID}/dagRuns/${encodeURIComponent(runId)}/taskInstances`)).task_instances;
  }

  /** Runs still queued or running (the count only). */
  async unfinishedRuns(): Promise<number> {
    return parseDagRunPage(await this.call('GET', `/api/v2/dags/${DAG_ID}/dagRuns?state=queued&state=running&limit=1`)).total_entries;
  }

  /** Every run of the DAG, page by page ([api] maximum_page_limit caps a page). */
  async allDagRuns(): Promise<DagRun[]> {
    return this.paged(async (offset) => {
      const page = parseDagRunPage(await this.call('GET', `/api/v2/dags/${DAG_ID}/dagRuns?limit=100&offset=${offset}&order_by=id`));
      return { items: page.dag_runs, total: page.total_entries };
    });
  }

  /** Every task instance of every run of the DAG. */
  async allTaskInstances(): Promise<TaskInstance[]> {
    return this.paged(async (offset) => {
      const page = parseTaskInstancePage(await this.call('GET', `/api/v2/dags/${DAG_ID}/dagRuns/~/taskInstances?limit=100&offset=${offset}&order_by=id`));
      return { items: page.task_instances, total: page.total_entries };
    });
  }

  private async paged<T>(fetchPage: (offset: number) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
    const all: T[] = [];
    for (;;) {
      const { items, total } = await fetchPage(all.length);
      all.push(...items);
      if (items.length === 0 || all.length >= total) return all;
    }
  }

  private async call(method: string, path: string, body?: unknown, authorised = true): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (authorised) {
      if (!this.token) throw new Error('not logged in to the Airflow API');
      headers.authorization = `Bearer ${this.token}`;
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new AirflowApiError(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
    return text ? JSON.parse(text) : undefined;
  }
}
