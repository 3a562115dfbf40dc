import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { redactSecrets } from '../platform/redact.js';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** How long a process waits for another one's migration run (a worker starting, concurrent CLI calls). */
const LOCK_WAIT_MS = 60_000;

/**
 * Applies every pending SQL migration in db/migrations (idempotent). node-pg-migrate serialises runs with an advisory
 * lock but gives up at once when another process holds it ("Another migration is already running"), so several CLI
 * calls started together failed; this waits for the other run instead, then finds nothing left to apply.
 */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      return await migrateOnce(databaseUrl);
    } catch (error) {
      if (!/another migration is already running/i.test((error as Error).message) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function migrateOnce(databaseUrl: string): Promise<string[]> {
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
