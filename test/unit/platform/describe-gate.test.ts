import { describe, expect, it } from 'vitest';
import type { PreBackupState } from '../../../domain/pre-backup/contract.js';
import { describeGate } from '../../../domain/pre-backup/describe.js';

const base: PreBackupState = {
  phase: 'predicting',
  target: 'orders-db',
  prediction: null,
  predictions: 0,
  decision: null,
  delays: 0,
  escalated: false,
  approval: null,
  backup: null,
  anomalies: [],
  anomalyCheck: null,
} as PreBackupState;
const prediction = { failureProbability: 0.7312, riskLevel: 'high' } as PreBackupState['prediction'];

describe('describeGate (Web UI current details)', () => {
  it("says where the run stands, in the issue's words", () => {
    expect(describeGate(base)).toBe('orders-db: risk not yet predicted -> predicting');
    expect(describeGate({ ...base, phase: 'awaiting-approval', prediction })).toBe('orders-db: risk high (0.73) -> awaiting approval');
    expect(describeGate({ ...base, phase: 'awaiting-approval', prediction, escalated: true, delays: 3 })).toBe(
      'orders-db: risk high (0.73) -> awaiting approval (escalated after delays)',
    );
    expect(describeGate({ ...base, phase: 'delaying', prediction, delays: 1 })).toBe('orders-db: risk high (0.73) -> delayed (delay 2)');
    expect(describeGate({ ...base, phase: 'done', prediction, decision: 'approved', backup: { status: 'completed' } as PreBackupState['backup'] })).toBe(
      'orders-db: risk high (0.73) -> approved, backup completed',
    );
  });

  it("carries the target's backup freshness when it has an objective", () => {
    const fresh = { state: 'fresh', maxAgeSeconds: 26 * 3600, lastSuccessAt: '2026-01-01T00:00:00Z', ageSeconds: 3 * 3600 } as const;
    expect(describeGate({ ...base, phase: 'awaiting-approval', prediction, freshness: fresh })).toBe(
      'orders-db: risk high (0.73) -> awaiting approval; backups fresh: last success 3h ago, maxAge 1d2h',
    );
    expect(describeGate({ ...base, freshness: { ...fresh, state: 'stale', ageSeconds: 2 * 86_400 } })).toBe(
      'orders-db: risk not yet predicted -> predicting; backups STALE: last success 2d ago, maxAge 1d2h',
    );
    expect(describeGate({ ...base, freshness: { ...fresh, state: 'stale', lastSuccessAt: null, ageSeconds: null } })).toBe(
      'orders-db: risk not yet predicted -> predicting; backups STALE: no successful backup yet, maxAge 1d2h',
    );
    // No objective, or not known: nothing added.
    expect(describeGate({ ...base, freshness: { state: 'unmonitored', maxAgeSeconds: null, lastSuccessAt: null, ageSeconds: null } })).toBe(describeGate(base));
    expect(describeGate({ ...base, freshness: { state: 'unknown', maxAgeSeconds: 3600, lastSuccessAt: null, ageSeconds: null } })).toBe(describeGate(base));
  });
});
