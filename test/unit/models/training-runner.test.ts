import { describe, expect, it } from 'vitest';
import { runTrainingThread } from '../../../activities/models/training-runner.js';
import { parseArtifact } from '../../../domain/ml/model-artifact.js';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';
import { historyColumnsOf } from '../../../domain/models/history-columns.js';

// Tests pass a selection budget of 0 (the default configuration only): every fit starts tree threads, slow under tsx.
const runs = generateHistory({ targets: 6, days: 40, seed: 7 });
const input = (params: Record<string, unknown>) => ({
  columns: historyColumnsOf(runs),
  algorithm: 'sentinel-forest' as const,
  params,
  minFailures: 25,
  active: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'unit test',
});

describe('the training thread', () => {
  it('trains off the main thread, reporting each phase, and returns the artifact and the evaluation', async () => {
    const phases = new Set<string>();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const out = await runTrainingThread(input({ nTrees: 20, seed: 3, threads: 1, selectionBudgetSeconds: 0 }), { onProgress: (phase) => phases.add(phase) });
    clearInterval(timer);
    expect([...phases]).toEqual(['features', 'training', 'evaluating', 'explaining']);
    expect(ticks).toBeGreaterThan(10); // the event loop kept running while the thread trained
    if (out.outcome !== 'trained') throw new Error(out.reason);
    expect(parseArtifact(out.artifactText).params).toMatchObject({ nTrees: 20, seed: 3 });
    expect(out.evaluation.candidate.rows).toBe(out.evaluation.rules.rows);
    expect(out.decision.comparedWith).toBe('rules');
  });

  it('stops when aborted (activity cancellation) and rejects with the reason', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const training = runTrainingThread(input({ nTrees: 2000, threads: 1, selectionBudgetSeconds: 0 }), {
      signal: controller.signal,
      onProgress: (phase, done) => {
        if (phase === 'training' && done >= 3) controller.abort(new Error('cancelled by test'));
      },
    });
    await expect(training).rejects.toThrow('cancelled by test');
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});
