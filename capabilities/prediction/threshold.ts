/**
 * `threshold: auto` (issue 16, item 7): a target's threshold follows the active model's recommendation for its alert
 * budget (or wanted precision) from sentinel.yaml, recomputed from the threshold curves stored with the model's
 * evaluation (domain/models/thresholds.ts), so a budget changed after training applies at once. Resolved in the
 * gate-resolution activity (activities/gate.ts), never in workflow code, and recorded in the prediction
 * (`thresholdSource`). Without an active model, or one trained before threshold advice existed, `auto` falls back
 * to the default 0.5 and says why.
 */
import type pg from 'pg';
import { activeModelRef, getModel } from '../../db/repositories/models.js';
import type { ModelEvaluation } from '../../domain/models/contract.js';
import { recommendForTarget, type ThresholdCurve, type ThresholdRecommendation } from '../../domain/models/thresholds.js';
import type { ThresholdSource } from '../../domain/risk/prediction.js';
import { thresholdGoalOf, type SentinelSettings, type TargetConfig } from '../../domain/settings/schema.js';

/** What `auto` means when no model recommends anything: the schema's default threshold. */
export const AUTO_FALLBACK_THRESHOLD = 0.5;

export interface ResolvedThreshold {
  threshold: number;
  source: ThresholdSource;
}

/** The active model's recommendation for a target under the settings' goal; null with the reason when there is none. */
export async function activeRecommendation(
  db: pg.Pool,
  settings: SentinelSettings,
  target: string,
): Promise<{ version: number; recommendation: ThresholdRecommendation } | { version: number | null; reason: string }> {
  const ref = await activeModelRef(db);
  if (!ref) return { version: null, reason: 'no active model: the rules predict' };
  const model = await getModel(db, ref.version);
  const evaluation = (model?.metrics as { evaluation?: ModelEvaluation } | undefined)?.evaluation;
  if (!evaluation?.thresholds) return { version: ref.version, reason: `model ${ref.version} was trained without threshold advice: train again` };
  const goal = thresholdGoalOf(
    settings,
    settings.targets.find((t) => t.name === target),
  );
  return { version: ref.version, recommendation: recommendForTarget(evaluation.thresholds, target, goal) };
}

export async function resolveThreshold(db: pg.Pool, settings: SentinelSettings, target: TargetConfig): Promise<ResolvedThreshold> {
  if (target.threshold !== 'auto') return { threshold: target.threshold, source: { mode: 'configured' } };
  let advice: Awaited<ReturnType<typeof activeRecommendation>>;
  try {
    advice = await activeRecommendation(db, settings, target.name);
  } catch (error) {
    advice = { version: null, reason: `model registry unreadable (${(error as Error).message})` };
  }
  if ('recommendation' in advice) {
    const r = advice.recommendation;
    // A threshold of 0 would flag every run with any risk; the gate needs a positive one.
    const threshold = Math.max(r.threshold, 1e-6);
    return { threshold, source: { mode: 'auto', modelVersion: advice.version, goal: r.goal, basis: r.basis, expected: r.expected, reason: r.reason } };
  }
  return { threshold: AUTO_FALLBACK_THRESHOLD, source: { mode: 'auto-fallback', reason: `${advice.reason}; default ${AUTO_FALLBACK_THRESHOLD} used` } };
}

/**
 * How the threshold a prediction was asked for came about, for the prediction output: the target's setting resolved
 * now; when that gives another number, the caller chose it (an input override, or a gate resolved before the
 * active model changed).
 */
export async function thresholdSourceOf(db: pg.Pool, settings: SentinelSettings, target: TargetConfig, requested: number): Promise<ThresholdSource> {
  const resolved = await resolveThreshold(db, settings, target);
  return resolved.threshold === requested ? resolved.source : { mode: 'caller' };
}

export interface ThresholdReport {
  version: number;
  status: string;
  window: { from: string; to: string };
  overall: ThresholdCurve;
  targets: Array<{ target: string; recommendation: ThresholdRecommendation; curve: ThresholdCurve | null }>;
}

/**
 * `sentinel model thresholds`: a model's threshold curves and, per target (every target of sentinel.yaml and every
 * target of the validation window, or just `target`), the recommended threshold for its goal (sentinel.yaml's, or
 * the one given). Null with the reason when the model has no threshold advice.
 */
export async function thresholdReport(
  db: pg.Pool,
  settings: SentinelSettings,
  options: { version?: number; target?: string; goal?: { alertBudget?: number; wantedPrecision?: number } },
): Promise<ThresholdReport | { problem: string }> {
  const version = options.version ?? (await activeModelRef(db))?.version;
  if (version === undefined) return { problem: 'no active model: train one with `sentinel model train`, or pass --model VERSION' };
  const model = await getModel(db, version);
  if (!model) return { problem: `model ${version} does not exist (see \`sentinel model list\`)` };
  const advice = (model.metrics as { evaluation?: ModelEvaluation }).evaluation?.thresholds;
  if (!advice) return { problem: `model ${version} was trained without threshold advice: train again` };
  const names = options.target ? [options.target] : [...new Set([...settings.targets.map((t) => t.name), ...Object.keys(advice.recommendations)])].sort();
  const given = options.goal && (options.goal.alertBudget !== undefined || options.goal.wantedPrecision !== undefined) ? options.goal : null;
  return {
    version,
    status: model.status,
    window: advice.window,
    overall: advice.overall,
    targets: names.map((name) => ({
      target: name,
      recommendation: recommendForTarget(
        advice,
        name,
        given ??
          thresholdGoalOf(
            settings,
            settings.targets.find((t) => t.name === name),
          ),
      ),
      curve: advice.targets[name] ?? null,
    })),
  };
}
