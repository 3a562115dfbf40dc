import pg from 'pg';

/**
 * Row counts taken at backup time, for the restore drill to compare with the restored copy. They are counted in a
 * REPEATABLE READ transaction whose snapshot pg_dump reads too (`pg_export_snapshot()` + `pg_dump --snapshot`),
 * so they describe exactly the rows in the dump even while the database keeps changing.
 *
 * `'cheap'` counts every ordinary and partitioned table when the planner's estimate of all their rows is at most
 * COUNT_ALL_TABLES_MAX_ROWS (a full count of a larger database would double the backup's reads); a list counts
 * those tables whatever their size (`drill.countTables`).
 */
export type TableCountRequest = 'cheap' | readonly string[];

export const COUNT_ALL_TABLES_MAX_ROWS = 5_000_000;

export interface SnapshotCounter {
  snapshotId: string;
  /** Counts the tables in the exported snapshot; `schema.table` -> rows. */
  count(): Promise<Record<string, number>>;
  /** Ends the transaction (after pg_dump has finished: the snapshot must live until pg_dump imported it). */
  close(): Promise<void>;
}

export async function openSnapshotCounter(url: string, request: TableCountRequest, timeoutMs: number): Promise<SnapshotCounter> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.min(timeoutMs, 30_000), query_timeout: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const exported = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const snapshotId = exported.rows[0]!.id;
    return {
      snapshotId,
      count: () => countTables(client, request),
      close: async () => {
        await client.query('COMMIT').catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

async function countTables(client: pg.Client, request: TableCountRequest): Promise<Record<string, number>> {
  const tables = request === 'cheap' ? await cheapTables(client) : await namedTables(client, request);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
    counts[`${table.schema}.${table.name}`] = Number(result.rows[0]!.n);
  }
  return counts;
}

interface TableRef {
  schema: string;
  name: string;
}

const USER_TABLES = `SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::float8 AS estimate
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

async function cheapTables(client: pg.Client): Promise<TableRef[]> {
  const result = await client.query<TableRef & { estimate: number }>(`${USER_TABLES} ORDER BY 1, 2`);
  const estimate = result.rows.reduce((sum, row) => sum + Number(row.estimate), 0);
  return estimate <= COUNT_ALL_TABLES_MAX_ROWS ? result.rows.map(({ schema, name }) => ({ schema, name })) : [];
}

/** The named tables that exist (`orders` means `public.orders`); a missing one is left out, not an error. */
async function namedTables(client: pg.Client, names: readonly string[]): Promise<TableRef[]> {
  const refs = names.map((name) => (name.includes('.') ? { schema: name.split('.')[0]!, name: name.split('.')[1]! } : { schema: 'public', name }));
  const result = await client.query<TableRef>(`${USER_TABLES} AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY 1, 2`, [
    refs.map((r) => r.schema),
    refs.map((r) => r.name),
  ]);
  return result.rows;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
