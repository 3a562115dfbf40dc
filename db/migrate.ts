import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { redactSecrets } from '../lib/redact.js';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Applies every pending SQL migration in db/migrations (idempotent; node-pg-migrate serialises runs with a lock). */
export async function migrate(databaseUrl: string): Promise<string[]> {
  try {
    const applied = await runner({
      databaseUrl,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'schema_migrations',
      count: Infinity,
      singleTransaction: true,
      // Each capability owns its migration file and none depends on another's, so a database that already has a
      // later-numbered one (0004, 0005) must still accept an earlier one added since (0003).
      checkOrder: false,
      log: () => undefined,
      verbose: false,
    });
    return applied.map((m) => m.name);
  } catch (error) {
    throw new Error(`database migration failed: ${redactSecrets((error as Error).message)}`);
  }
}
