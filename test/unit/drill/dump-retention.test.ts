import fc from 'fast-check';
import { keepingPolicy } from '../../helpers/retention-policies.js';
import { describe, expect, it } from 'vitest';
import { applyRetention } from '../../../domain/config-backup/retention.js';
import { LEASED_REASON, NEWEST_DRILLED_REASON, planDumpRetention, steadyStateKept } from '../../../domain/dumps/retention-plan.js';
import { keptUnderPolicySeries } from '../../../domain/monitoring/capacity-plan.js';
import { applyDrillSignal } from '../../../domain/risk/rules.js';
import { predictWithRules } from '../../../domain/risk/rules.js';
import { normaliseContext } from '../../../domain/risk/rules.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-01-05T00:00:00Z');

const dumpsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 90 * 24 * 4 }), { minLength: 1, maxLength: 60 })
  .map((quarters) => quarters.map((q, k) => ({ backupId: `b${k}`, startedAt: new Date(T0 + q * 15 * 60_000), sizeBytes: 1000 + k })));
const policyArb = keepingPolicy({ maxCount: 6, maxWithinMs: 10 * DAY, yearly: true });

describe('dump retention plan (property: the retention code decides, protections only add)', () => {
  it('keeps exactly what applyRetention keeps plus the protected dumps; removes the rest', () => {
    fc.assert(
      fc.property(dumpsArb, policyArb, fc.nat(), fc.nat(), (dumps, policy, drilledPick, leasePick) => {
        const newestDrilled = dumps[drilledPick % dumps.length]!.backupId;
        const leased = [dumps[leasePick % dumps.length]!.backupId];
        const plan = planDumpRetention(dumps, policy, { newestDrilled, leased });
        const expected = new Set(
          applyRetention(
            dumps.map((d) => ({ id: d.backupId, group: 'g', time: d.startedAt })),
            policy,
          ).keep.map((k) => k.snapshot.id),
        );
        expected.add(newestDrilled);
        expected.add(leased[0]!);
        expect(new Set(plan.keep.map((k) => k.dump.backupId))).toEqual(expected);
        expect(plan.keep.length + plan.remove.length).toBe(dumps.length);
        expect(plan.remove.map((d) => d.backupId)).not.toContain(newestDrilled);
        expect(plan.keep.find((k) => k.dump.backupId === newestDrilled)!.reasons).toContain(NEWEST_DRILLED_REASON);
        expect(plan.keep.find((k) => k.dump.backupId === leased[0])!.reasons).toContain(LEASED_REASON);
        // A non-empty policy always keeps the newest dump.
        const newest = [...dumps].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0]!;
        expect(plan.keep.map((k) => k.dump.backupId)).toContain(newest.backupId);
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('within keeps what is less than that long before the newest dump (restic --keep-within)', () => {
    const dumps = [0, 10, 20, 47, 48].map((h, k) => ({ backupId: `d${k}`, startedAt: new Date(T0 + h * HOUR), sizeBytes: 1 }));
    const plan = planDumpRetention(dumps, { within: 28 * HOUR });
    expect(plan.keep.map((k) => [k.dump.backupId, k.reasons])).toEqual([
      ['d4', ['within 28h']],
      ['d3', ['within 28h']],
    ]); // d2 is exactly 28 h before the newest: not within (restic keeps strictly after newest - within)
    expect(plan.policy).toBe('keep all within 28h');
  });
});

describe('capacity under retention', () => {
  it('the store levels off at what the policy keeps instead of growing with every dump', () => {
    const dumps = Array.from({ length: 60 }, (_, d) => ({ startedAt: new Date(T0 + d * DAY + 2 * HOUR), bytes: 1e9 }));
    const series = keptUnderPolicySeries(dumps, { daily: 7 });
    expect(series.map((p) => p.value).slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 7]);
    expect(series.at(-1)!.value).toBe(7);
    // Newest dump Thu 2026-03-05: 7 daily (Feb 27 - Mar 5, ISO weeks 9 and 10) + the Sundays of weeks 8 and 7.
    expect(
      steadyStateKept(
        dumps.map((d) => d.startedAt),
        { daily: 7, weekly: 4 },
      ),
    ).toBe(9);
  });
});

describe('risk signal: last restore drill failed', () => {
  const base = predictWithRules({ target: 't', threshold: 0.5, startAt: '2026-01-05T12:00:00Z' }, normaliseContext({ successRate: 1, runCount: 30 }), 'now');

  it('a failed last drill makes the target high risk, explained', () => {
    expect(base.failureProbability).toBeLessThan(0.5);
    const p = applyDrillSignal(base, { status: 'failed', finishedAt: '2026-01-04T05:00:00Z', error: 'checksum mismatch' });
    expect(p.failureProbability).toBeGreaterThan(0.5);
    expect(['high', 'critical']).toContain(p.riskLevel);
    expect(p.riskFactors[0]).toMatchObject({ factor: 'last_restore_drill', value: 'failed' });
    expect(p.riskFactors[0]!.description).toBe('last restore drill failed (2026-01-04T05:00:00Z): checksum mismatch');
    expect(p.riskFactors[0]!.contribution).toBeGreaterThan(0);
    expect(p.recommendedActions.join(' ')).toMatch(/sentinel drill run/);
  });

  it('a passed drill, or none, changes nothing', () => {
    expect(applyDrillSignal(base, { status: 'passed', finishedAt: null, error: null })).toBe(base);
    expect(applyDrillSignal(base, undefined)).toBe(base);
  });
});
