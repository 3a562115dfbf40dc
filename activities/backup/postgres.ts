import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { redactSecrets } from '../../lib/redact.js';
import { invalidInput } from '../../lib/failures.js';
import { runProcess, type RunProcessOptions } from './process.js';

export interface DumpResult {
  path: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * pg_dump in custom format into `<backupDir>/<target>/<name>.dump`. The file name comes from the workflow run, so
 * a retried activity replaces its own artifact instead of leaving a second one; the dump is written to a partial
 * file and renamed only when pg_dump succeeded. The password travels in PGPASSWORD, never on the command line.
 *
 * Each attempt writes a partial file of its own and first unlinks the ones earlier attempts left: when a worker
 * dies (SIGKILL, OOM), its pg_dump lives on and keeps writing to the file it opened. Sharing one partial name, that
 * orphan would write into the retry's file after the rename and corrupt the artifact under its recorded checksum;
 * now it writes into an unlinked file that disappears when it exits.
 */
export async function dumpPostgres(url: string, backupDir: string, target: string, artifactName: string, timeoutMs: number, attempt?: RunProcessOptions['attempt']): Promise<DumpResult> {
  const connection = splitCredentials(url);
  const dir = path.join(backupDir, target);
  await mkdir(dir, { recursive: true });
  const finalPath = path.join(dir, `${artifactName}.dump`);
  await removePartials(dir, `${artifactName}.dump.partial`);
  const partialPath = `${finalPath}.partial-${randomBytes(4).toString('hex')}`;
  const outcome = await runProcess('pg_dump', ['--format=custom', '--no-password', `--file=${partialPath}`, `--dbname=${connection.url}`], {
    timeoutMs,
    ...(attempt ? { attempt } : {}),
    env: { ...process.env, ...(connection.password !== undefined ? { PGPASSWORD: connection.password } : {}) },
  });
  if (outcome.spawnError?.code === 'ENOENT') throw invalidInput('pg_dump not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client)');
  if (outcome.spawnError) throw new Error(`cannot start pg_dump: ${outcome.spawnError.message}`);
  if (outcome.timedOut || outcome.exitCode !== 0) {
    await rm(partialPath, { force: true });
    const why = outcome.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `exited with code ${outcome.exitCode ?? outcome.signal}`;
    throw new Error(redactSecrets(`pg_dump ${why}: ${outcome.outputTail || 'no output'}`));
  }
  await rename(partialPath, finalPath);
  const { size } = await stat(finalPath);
  return { path: finalPath, sizeBytes: size, sha256: await sha256File(finalPath) };
}

async function removePartials(dir: string, prefix: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix)) await rm(path.join(dir, name), { force: true });
  }
}

export function splitCredentials(url: string): { url: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidInput('the target\'s postgres url is not a valid URL');
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { url: parsed.toString(), ...(password !== undefined ? { password } : {}) };
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
