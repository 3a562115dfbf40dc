import { describe, expect, it } from 'vitest';
import { predictorOf } from '../../../activities/records.js';
import { rollbackReasonOf } from '../../../activities/models/monitor.js';
import { monitorPolicyOf } from '../../../capabilities/models/model-monitor.js';
import { SeededRng } from '../../../domain/ml/rng.js';
import { DEFAULT_MODEL_MONITOR_POLICY, judgeLiveQuality, planResponse, type LiveWindow, type ModelMonitorPolicy } from '../../../domain/models/live-quality.js';
import { validateModelMonitorInput, type LiveQualityReport } from '../../../domain/models/monitor-contract.js';
import type { Prediction } from '../../../domain/risk/prediction.js';
import { parseSettings } from '../../../domain/settings/schema.js';
import { declaredSchedules } from '../../../schedules/index.js';
import * as workflows from '../../../workflows/index.js';

const policy: ModelMonitorPolicy = { ...DEFAULT_MODEL_MONITOR_POLICY, minOutcomes: 100, minFailures: 10, bootstrapSamples: 300 };

/**
 * `n` runs whose outcomes follow the true probability `truth`; the active model predicts `predicted(truth)`, the
 * shadow predictors `shadow(truth)`.
 */
function windowOf(n: number, seed: number, predicted: (p: number) => number, shadow: (p: number) => number = (p) => p): LiveWindow {
  const rng = new SeededRng(seed);
  const truth = Array.from({ length: n }, () => (rng.next() < 0.15 ? 0.6 + 0.3 * rng.next() : 0.02 + 0.05 * rng.next()));
  const labels = Uint8Array.from(truth, (p) => (rng.next() < p ? 1 : 0));
  return {
    labels,
    active: Float64Array.from(truth, predicted),
    thresholds: new Float64Array(n).fill(0.5),
    rules: Float64Array.from(truth, () => 0.1),
    replaced: Float64Array.from(truth, shadow),
  };
}

describe('judgeLiveQuality: the degradation rule', () => {
  it('gives no verdict below the minimum outcomes or failures', () => {
    const few = judgeLiveQuality({ window: windowOf(60, 1, (p) => p), validation: { brier: 0.05, prAuc: 0.6 }, policy });
    expect(few.verdict).toBe('insufficient-data');
    expect(few.reason).toMatch(/^no verdict: 60 live outcomes with \d+ failures in the window; at least 100 outcomes and 10 failures/);
    expect(few.checks).toEqual([]);
    // Many outcomes, but failures below the minimum.
    const rare = { ...windowOf(300, 2, (p) => p), labels: new Uint8Array(300) };
    rare.labels[0] = 1;
    expect(judgeLiveQuality({ window: rare, validation: null, policy }).verdict).toBe('insufficient-data');
  });

  it('calls a model healthy when its probabilities follow the outcomes, and reports the live figures', () => {
    const w = windowOf(
      800,
      3,
      (p) => p,
      (p) => Math.min(0.99, p * 1.1),
    );
    const j = judgeLiveQuality({ window: w, validation: { brier: 0.08, prAuc: 0.6 }, policy });
    expect(j.verdict).toBe('healthy');
    expect(j.checks.map((c) => c.name)).toEqual(['brier-vs-validation', 'brier-vs-replaced', 'pr-auc-vs-replaced', 'brier-vs-rules', 'pr-auc-vs-rules']);
    for (const c of j.checks) {
      expect(c.lowerBound).toBeLessThanOrEqual(c.gap);
      expect(c.degraded).toBe(false);
    }
    expect(j.active.prAuc!).toBeGreaterThan(j.rules!.prAuc!);
    expect(j.active.recall!).toBeGreaterThan(0.5);
    expect(j.baseRateBrier!).toBeGreaterThan(j.active.brier!);
  });

  it('calls a model degraded when it predicts low for runs that fail and high for runs that succeed, and says by how much', () => {
    const inverted = windowOf(400, 4, (p) => 1 - p);
    const j = judgeLiveQuality({ window: inverted, validation: { brier: 0.08, prAuc: 0.6 }, policy });
    expect(j.verdict).toBe('degraded');
    const byName = new Map(j.checks.map((c) => [c.name, c]));
    expect(byName.get('brier-vs-validation')!.degraded).toBe(true);
    expect(byName.get('pr-auc-vs-replaced')!.degraded).toBe(true);
    expect(byName.get('brier-vs-validation')!.gap).toBeCloseTo(j.active.brier! - 0.08, 10);
    expect(j.reason).toMatch(
      /^degraded over 400 live outcomes \(\d+ failures\): live Brier 0\.\d{4} is worse than its validation Brier 0\.0800 by 0\.\d{4} \(95% lower bound 0\.\d{4} > tolerance 0\.02\)/,
    );
  });

  it('does not call a gap a degradation when only its point estimate passes the tolerance', () => {
    // A slightly miscalibrated model on a small window: the live Brier is above validation + tolerance, the bound is not.
    const w = windowOf(
      120,
      5,
      (p) => Math.min(0.99, p + 0.08),
      (p) => p,
    );
    const reference = 0.05;
    const j = judgeLiveQuality({
      window: { ...w, rules: null, replaced: null },
      validation: { brier: reference, prAuc: null },
      policy: { ...policy, brierTolerance: 0.0 },
    });
    const check = j.checks.find((c) => c.name === 'brier-vs-validation')!;
    expect(check.gap).toBeGreaterThan(0);
    expect(check.lowerBound).toBeLessThan(check.gap);
    expect(check.degraded).toBe(check.lowerBound > 0);
    // With a tolerance between the bound and the point estimate, it is healthy.
    const between = (check.lowerBound + check.gap) / 2;
    const again = judgeLiveQuality({
      window: { ...w, rules: null, replaced: null },
      validation: { brier: reference, prAuc: null },
      policy: { ...policy, brierTolerance: between },
    });
    expect(again.checks[0]!.gap).toBeGreaterThan(between);
    expect(again.verdict).toBe('healthy');
  });

  it('is reproducible: the same window gives the same bounds', () => {
    const w = windowOf(300, 6, (p) => p * 0.5);
    const a = judgeLiveQuality({ window: w, validation: { brier: 0.05, prAuc: 0.5 }, policy });
    const b = judgeLiveQuality({ window: w, validation: { brier: 0.05, prAuc: 0.5 }, policy });
    expect(a).toEqual(b);
  });

  it('rejects shadow scores of another length', () => {
    const w = windowOf(150, 7, (p) => p);
    expect(() => judgeLiveQuality({ window: { ...w, rules: new Float64Array(3) }, validation: null, policy })).toThrow(/rules has 3 values for 150 outcomes/);
  });
});

describe('planResponse: never a rollback to nothing, twice, or to no better', () => {
  const degraded = judgeLiveQuality({ window: windowOf(400, 8, (p) => 1 - p), validation: { brier: 0.08, prAuc: 0.6 }, policy });
  const base = { judgement: degraded, onDegraded: 'rollback' as const, replacedVersion: 3, replacedWasRolledBackAutomatically: false };

  it('rolls back to the replaced model', () => {
    expect(planResponse(base)).toEqual({ action: 'rollback', toVersion: 3 });
  });
  it('only alerts without a model before it, when told to, or when the replaced model was itself rolled back as degraded', () => {
    expect(planResponse({ ...base, replacedVersion: null })).toMatchObject({ action: 'alert-only', why: expect.stringMatching(/never rolls back to nothing/) });
    expect(planResponse({ ...base, onDegraded: 'alert' })).toMatchObject({ action: 'alert-only', why: expect.stringMatching(/onDegraded is "alert"/) });
    expect(planResponse({ ...base, replacedWasRolledBackAutomatically: true })).toMatchObject({
      action: 'alert-only',
      why: expect.stringMatching(/itself rolled back/),
    });
  });
  it('only alerts when the replaced model does no better on the same runs', () => {
    const same = { ...degraded, replaced: { ...degraded.replaced!, brier: degraded.active.brier! + 0.01 } };
    expect(planResponse({ ...base, judgement: same })).toMatchObject({ action: 'alert-only', why: expect.stringMatching(/does no better/) });
  });
  it('does nothing for a healthy model or no verdict', () => {
    expect(planResponse({ ...base, judgement: { ...degraded, verdict: 'healthy' } })).toEqual({ action: 'none' });
    expect(planResponse({ ...base, judgement: { ...degraded, verdict: 'insufficient-data' } })).toEqual({ action: 'none' });
  });
});

describe('wiring', () => {
  it('records which predictor produced a probability', () => {
    const p = (model: Prediction['model'], threshold = 0.3) => ({ model, threshold }) as Prediction;
    expect(predictorOf(p({ kind: 'ml', version: 7, algorithm: 'sentinel-forest' }))).toEqual({
      predictedBy: 'model',
      modelVersion: 7,
      predictionThreshold: 0.3,
    });
    expect(predictorOf(p({ kind: 'rules', fallbackReason: 'x' }))).toEqual({ predictedBy: 'rules', modelVersion: null, predictionThreshold: 0.3 });
    expect(predictorOf(p({ kind: 'ml', version: 'v1' }))).toMatchObject({ predictedBy: 'rules', modelVersion: null });
  });

  it('reads its policy from sentinel.yaml, defaults when absent, and refuses unknown keys', () => {
    expect(monitorPolicyOf(parseSettings({ targets: [] }))).toEqual({ enabled: true, policy: DEFAULT_MODEL_MONITOR_POLICY });
    const own = monitorPolicyOf(parseSettings({ modelMonitor: { minOutcomes: 40, onDegraded: 'alert', enabled: false } }));
    expect(own).toEqual({ enabled: false, policy: { ...DEFAULT_MODEL_MONITOR_POLICY, minOutcomes: 40, onDegraded: 'alert' } });
    expect(() => parseSettings({ modelMonitor: { minOutcome: 40 } })).toThrow(/modelMonitor.minOutcome/);
    expect(() => parseSettings({ modelMonitor: { confidence: 1.5 } })).toThrow(/modelMonitor.confidence/);
  });

  it('is scheduled hourly with valid input, and validates input', () => {
    const schedule = declaredSchedules({ config: parseSettings({ targets: [] }), timezone: 'UTC' }).find((d) => d.id === 'sentinel/model-monitor')!;
    expect(schedule.workflowType).toBe('modelMonitorWorkflow');
    expect(typeof workflows.modelMonitorWorkflow).toBe('function');
    expect(validateModelMonitorInput(schedule.args[0])).toEqual([]);
    expect(validateModelMonitorInput({ trainingScheduleId: '' })).toEqual(['trainingScheduleId must be a non-empty string']);
    expect(validateModelMonitorInput({ x: 1 })).toEqual(['unknown field "x"']);
  });

  it('keeps the rollback reason within what rollbackModelWorkflow accepts', () => {
    const report = { modelVersion: 5, reason: 'x'.repeat(5000), response: { action: 'rollback', toVersion: 4 } } as unknown as LiveQualityReport;
    const reason = rollbackReasonOf(report)!;
    expect(reason.length).toBe(1000);
    expect(reason).toMatch(/^automatic rollback of model 5 to 4: x+\.\.\.$/);
    expect(rollbackReasonOf({ ...report, response: { action: 'none' } })).toBeNull();
  });
});
