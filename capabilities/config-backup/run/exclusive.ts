/**
 * Runs a maintenance operation (prune, rotate-key) under the same lock as backup runs, so it never overlaps one.
 * The lease is renewed while the operation works; a second operation is refused at once rather than queued.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { acquireConfigBackupLock, releaseConfigBackupLock, renewConfigBackupLock } from '../../../db/repositories/config-backups.js';

const LEASE_MS = 10 * 60_000;

export class ConfigBackupBusyError extends Error {
  override readonly name = 'ConfigBackupBusyError';
}

export interface HeldLock {
  holder: string;
  leaseMs: number;
  /** Extends the lease; throws when the lock was lost. */
  renew(): Promise<void>;
}

export async function withConfigBackupLock<T>(db: pg.Pool, operation: string, work: (lock: HeldLock) => Promise<T>): Promise<T> {
  const holder = `cli:${operation}:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const state = await acquireConfigBackupLock(db, holder, LEASE_MS);
  if (!state.acquired) {
    throw new ConfigBackupBusyError(
      `a configuration backup or maintenance run holds the lock (${state.holder ?? 'unknown'} since ${state.acquiredAt?.toISOString() ?? 'unknown'}); try again when it has finished`,
    );
  }
  const renewal = setInterval(() => void renewConfigBackupLock(db, holder, LEASE_MS).catch(() => undefined), LEASE_MS / 4);
  renewal.unref();
  try {
    return await work({ holder, leaseMs: LEASE_MS, renew: () => renewConfigBackupLock(db, holder, LEASE_MS) });
  } finally {
    clearInterval(renewal);
    await releaseConfigBackupLock(db, holder).catch(() => undefined);
  }
}
