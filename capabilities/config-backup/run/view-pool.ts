/**
 * A small pool of worker threads that stage configuration files (stage-file.ts): reading, hashing and encrypting each
 * file, and parsing and redacting it (the bulk of a first run's CPU), so a run uses every core while the main thread
 * keeps to its database work, heartbeats and the store's bookkeeping.
 *
 * Threads start on first use and stop after a short idle time; one pool per key and sensitive-key list is kept per
 * process (`sharedViewPool`). Threads do not keep the process alive while idle.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../../../platform/worker-threads.js';
import type { StagedFile, StageFileRequest } from './stage-file.js';

const ENTRY = new URL('./view-worker.js', import.meta.url);
const IDLE_MS = 60_000;

interface Job {
  resolve: (staged: StagedFile) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Job>;
}

export class ViewPool {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly keySpec: string,
    private readonly sensitiveKeys: readonly string[],
    readonly size: number = defaultPoolSize(),
  ) {}

  stageFile(request: StageFileRequest): Promise<StagedFile> {
    if (this.closed) return Promise.reject(new Error('view pool is closed'));
    this.cancelIdle();
    const thread = this.pickThread();
    const id = this.nextId++;
    return new Promise<StagedFile>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage({ id, request });
    });
  }

  /** Starts the threads ahead of the first file (they load their modules while the run plans and backs up env). */
  warmUp(): void {
    if (this.closed) return;
    while (this.threads.length < this.size) this.spawn();
    this.scheduleIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelIdle();
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private pickThread(): Thread {
    if (this.threads.length < this.size) {
      const idle = this.threads.find((t) => t.pending.size === 0);
      if (idle) return idle;
      return this.spawn();
    }
    return this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
  }

  private spawn(): Thread {
    const worker = startThread(ENTRY, { workerData: { keySpec: this.keySpec, sensitiveKeys: [...this.sensitiveKeys] } });
    const thread: Thread = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (message: { id?: number; staged?: StagedFile; error?: string; ready?: boolean }) => {
      if (message.id === undefined) return;
      const job = thread.pending.get(message.id);
      if (!job) return;
      thread.pending.delete(message.id);
      if (message.staged) job.resolve(message.staged);
      else job.reject(new Error(message.error ?? 'staging the file failed'));
      if (thread.pending.size === 0) {
        worker.unref();
        this.scheduleIdle();
      }
    });
    const fail = (error: Error) => {
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      for (const job of thread.pending.values()) job.reject(new Error(`parse thread stopped: ${error.message}`));
      thread.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.threads.push(thread);
    return thread;
  }

  private scheduleIdle(): void {
    if (this.threads.some((t) => t.pending.size > 0)) return;
    this.cancelIdle();
    this.idleTimer = setTimeout(() => {
      const threads = this.threads.splice(0);
      for (const t of threads) void t.worker.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** Two threads on a 2-core machine: the main thread's share of the work is mostly waiting on I/O. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

let shared: { key: string; pool: ViewPool } | undefined;

/** The process-wide pool for this key and sensitive-key list (a different key or list replaces it). */
export function sharedViewPool(keySpec: string, sensitiveKeys: readonly string[]): ViewPool {
  const key = `${keySpec}\u0000${sensitiveKeys.join('\u0000')}`;
  if (shared?.key !== key) {
    void shared?.pool.close();
    shared = { key, pool: new ViewPool(keySpec, sensitiveKeys) };
  }
  return shared.pool;
}
