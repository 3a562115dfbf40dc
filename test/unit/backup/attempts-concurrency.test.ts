/**
 * Concurrent backups of one target share `<backupDir>/.running/<target>/` (attempts.ts): one attempt's cleanup
 * removes the folder once it is empty while another creates, lists or writes into it. `npm run bench` (200 gate runs
 * of one target at once) showed runBackup failing with ENOENT on scandir/mkdir there and retrying 10 s later.
 * Real files, real child processes.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptFile, forgetAttempt, recordAttempt, stopEarlierAttempts } from '../../../activities/backup/attempts.js';
import { runProcess } from '../../../activities/backup/process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'attempts-concurrency-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('attempt records of concurrent backups of one target', () => {
  it('records an attempt even when another attempt removed the target folder after it was listed', async () => {
    const backupDir = path.join(dir, 'vanished');
    await stopEarlierAttempts(backupDir, 'db', 'run-a');
    // What a concurrent attempt's forgetAttempt does when it was the last record: the folders go.
    await rm(path.join(backupDir, '.running'), { recursive: true, force: true });
    const file = attemptFile(backupDir, 'db', 'run-a');
    await recordAttempt(file, process.pid, 'run-a');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pgid: process.pid, artifactName: 'run-a', workerPid: process.pid });
    await forgetAttempt(file, process.pid);
    await expect(readFile(file, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("removes a record's temporary file left by a worker that died before renaming it, not one being written", async () => {
    const backupDir = path.join(dir, 'stranded');
    const folder = path.dirname(attemptFile(backupDir, 'db', 'x'));
    await mkdir(folder, { recursive: true });
    const stale = path.join(folder, 'run-dead.json.0f0f.tmp');
    const fresh = path.join(folder, 'run-live.json.1e1e.tmp');
    await writeFile(stale, '{"pgid":');
    await writeFile(fresh, '{"pgid":');
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(stale, longAgo, longAgo);
    await stopEarlierAttempts(backupDir, 'db', 'run-new');
    expect((await readdir(folder)).sort()).toEqual(['run-live.json.1e1e.tmp']);
  });

  it('lets many attempts of one target check, record and forget at once without failing', async () => {
    const backupDir = path.join(dir, 'busy');
    // No such process group: records of this live worker with other artifact names are never stopped anyway.
    const pgid = 2 ** 30;
    // A few attempts at a time, each ending at its own moment, so the folder is often empty and removed while
    // another attempt creates, lists or writes into it.
    const attempt = async (worker: number, n: number) => {
      const artifactName = `run-${worker}-${n}`;
      const stopped = await stopEarlierAttempts(backupDir, 'db', artifactName);
      const file = attemptFile(backupDir, 'db', artifactName);
      await recordAttempt(file, pgid, artifactName);
      await forgetAttempt(file, pgid);
      return stopped;
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, async (_, worker) => {
        const stopped = [];
        for (let n = 0; n < 300; n++) stopped.push(...(await attempt(worker, n)));
        return stopped;
      }),
    );
    expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
    // Every other attempt ran on this live worker: none may be stopped.
    expect(outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value : []))).toEqual([]);
  });

  it('runs concurrent backup processes of one target and leaves no record or temporary file behind', async () => {
    const backupDir = path.join(dir, 'processes');
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const artifactName = `run-${i}`;
        await stopEarlierAttempts(backupDir, 'db', artifactName);
        return runProcess('true', [], { timeoutMs: 30_000, attempt: { file: attemptFile(backupDir, 'db', artifactName), artifactName } });
      }),
    );
    for (const outcome of outcomes) expect(outcome).toMatchObject({ exitCode: 0, timedOut: false });
    // Each attempt forgot its record once its process had exited; the last one removed the empty folders.
    const left = await readdir(path.join(backupDir, '.running'), { recursive: true }).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? [] : Promise.reject(error),
    );
    expect(left).toEqual([]);
  });
});
