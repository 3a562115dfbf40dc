import { describe, expect, it } from 'vitest';
import { historicalContext } from '../../../domain/history/context.js';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { validatePreBackupInput } from '../../../domain/pre-backup/contract.js';
import { redactSecrets, redactUrl } from '../../../platform/redact.js';

const run = (hoursAgo: number, status: BackupRunRecord['status'], durationSeconds = 60, sizeBytes = 1000): BackupRunRecord => ({
  backupId: `r${hoursAgo}`,
  target: 't',
  startedAt: new Date(Date.UTC(2026, 0, 10) - hoursAgo * 3_600_000),
  status,
  durationSeconds,
  sizeBytes,
});

describe('historical context', () => {
  const now = new Date(Date.UTC(2026, 0, 10));
  it('summarises the recent window, newest first', () => {
    const ctx = historicalContext([run(1, 'failed'), run(2, 'completed', 100, 10), run(3, 'completed', 300, 30), run(50, 'completed', 200, 20)], now);
    expect(ctx).toEqual({
      successRate: 0.75,
      recentFailures: 1,
      typicalDurationSeconds: 200,
      typicalSizeBytes: 20,
      runCount: 4,
      hoursSinceLastSuccess: 2 - 100 / 3600,
    });
  });
  it('ignores runs that had not ended by `now` (point in time)', () => {
    const ctx = historicalContext([run(0.5, 'failed', 3600)], now);
    expect(ctx.runCount).toBe(0);
    expect(ctx.successRate).toBeNull();
  });
});

describe('pre-backup input validation', () => {
  it('accepts a bare target', () => expect(validatePreBackupInput({ target: 'orders-db' })).toEqual([]));
  it('names every problem', () => {
    expect(validatePreBackupInput({ target: '../x', threshold: 0, maxDelays: 1.5, policy: 'maybe', context: { successRate: 2 } })).toEqual([
      'target must be a target name from sentinel.yaml',
      'policy must be "delay" or "manual"',
      'threshold must be in (0, 1] (got 0)',
      'maxDelays must be a whole number >= 0 (got 1.5)',
      'context.successRate must be in [0, 1] (got 2)',
    ]);
    expect(validatePreBackupInput(null)).toEqual(['input must be an object with a "target" field']);
  });
});

describe('secret redaction', () => {
  it('removes passwords from URLs and key=value text', () => {
    expect(redactSecrets('failed for postgres://app:s3cret@db:5432/x and password=hunter2')).toBe('failed for postgres://app:***@db:5432/x and password=***');
    expect(redactUrl('postgres://app:s3cret@db/x')).toBe('postgres://app:***@db/x');
  });
});
