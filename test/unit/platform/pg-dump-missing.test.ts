import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpPostgres } from '../../../activities/backup/postgres.js';

describe('pg_dump missing from PATH', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('fails at once, non-retryable, naming the package to install', async () => {
    process.env.PATH = '/nonexistent';
    const error = await dumpPostgres('postgres://u:pw-canary@127.0.0.1:5432/db', '/tmp/sentinel-no-pgdump', 't', 'a', 5000).catch((e) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toBe('pg_dump not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client)');
  });
});
