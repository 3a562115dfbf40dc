/**
 * Bad input of issue 16 that the other tests do not cover (one class only: train-candidate.test.ts; duplicate
 * backup IDs with different outcomes: integration/history-conflicts.test.ts; nothing predictable:
 * ml/scenarios.test.ts). Each ends in a documented outcome (docs/model-evaluation.md), never a crash or a promoted
 * model that is worse than the rules.
 */
import { describe, expect, it } from 'vitest';
import type { BackupRunRecord } from '../../../domain/history/types.js';
import { createRng } from '../../../domain/ml/rng.js';
import { findScenario } from '../../../domain/ml/scenarios/scenarios.js';
import { recommendThreshold } from '../../../domain/models/thresholds.js';
import { trainCandidate, type CandidateTrainingOutput } from '../../../domain/models/train-candidate.js';

const train = (runs: readonly BackupRunRecord[]): Promise<CandidateTrainingOutput> =>
  trainCandidate({ runs, algorithm: 'sentinel-forest', params: { nTrees: 30 }, minFailures: 25, active: null, createdAt: new Date(0), createdBy: 'test' });

const history = findScenario('disk-pressure').generate({ seed: 5, size: { targets: 4, days: 40, runsPerDay: 12 } }).runs;

describe('bad input ends in a documented outcome', () => {
  it('a target with three runs trains with the others, and its threshold follows the overall curve', async () => {
    const last = history.at(-1) as BackupRunRecord;
    const tiny = [1, 2, 3].map(
      (k): BackupRunRecord => ({
        backupId: `tiny-${k}`,
        target: 'tiny',
        startedAt: new Date(last.startedAt.getTime() - k * 3_600_000),
        status: k === 2 ? 'failed' : 'completed',
        durationSeconds: 60,
        sizeBytes: 1e6,
      }),
    );
    const out = await train([...history, ...tiny]);
    expect(out.outcome).toBe('trained');
    if (out.outcome !== 'trained') return;
    const advice = out.evaluation.thresholds;
    expect(advice?.targets.tiny).toBeUndefined();
    expect(advice?.recommendations.tiny?.basis).toBe('overall');
    // The overall curve's recommendation for the default budget: the same as any other target without a curve of its own.
    expect(advice?.recommendations.tiny?.threshold).toBe(recommendThreshold(advice!.overall, {}, 'overall').threshold);
    expect(Number.isFinite(out.canaryProbability)).toBe(true);
  });

  it('timestamps out of order give the same model and evaluation as the sorted history', async () => {
    const shuffled = createRng(9).shuffle([...history]);
    expect(shuffled.map((r) => r.backupId)).not.toEqual(history.map((r) => r.backupId));
    const [sorted, unsorted] = [await train(history), await train(shuffled)];
    expect(sorted.outcome).toBe('trained');
    if (sorted.outcome !== 'trained' || unsorted.outcome !== 'trained') throw new Error('expected both to train');
    expect(unsorted.evaluation).toEqual(sorted.evaluation);
    expect(unsorted.decision).toEqual(sorted.decision);
  });

  it('constant features with random outcomes: a model is trained and not promoted', async () => {
    const rng = createRng(11);
    const start = Date.UTC(2025, 0, 1);
    const runs: BackupRunRecord[] = Array.from({ length: 3000 }, (_, k) => ({
      backupId: `c-${k}`,
      target: `c${k % 3}`,
      startedAt: new Date(start + k * 1_200_000),
      status: rng.chance(0.08) ? 'failed' : 'completed',
      durationSeconds: 600,
      sizeBytes: 5e9,
      databaseSizeGb: 40,
      freeSpaceGb: 100,
      estimatedDuration: 600,
      estimatedSize: 5e9,
    }));
    const out = await train(runs);
    expect(out.outcome).toBe('trained');
    if (out.outcome !== 'trained') return;
    expect(out.decision.promote).toBe(false);
    expect(out.decision.reason).toMatch(/^not promoted: /);
  });
});
