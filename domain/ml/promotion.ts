/**
 * Promotion gate: decides whether a freshly trained candidate model replaces the active one.
 *
 * All metrics must come from the same validation rows (the newest runs of the time split), scored by the
 * candidate, by the active model (when there is one) and by the rule-based predictor. The candidate is promoted
 * only when, in this order:
 * 1. it saw at least `minTrainingFailures` failures in training and the validation set holds at least
 *    `minValidationFailures` failures (default 20 and 5: below that PR-AUC is too noisy to compare);
 * 2. its PR-AUC beats the baseline's by more than `minPrAucGain` (default 0: strictly better). The baseline is the
 *    active model, or the rules when there is no active model;
 * 3. its Brier score is not worse than the baseline's by more than `brierTolerance` (default 0.005, about a tenth
 *    of the Brier score of a 5% base rate): better ranking must not come with badly calibrated probabilities.
 *    Skipped, and said so, when the baseline has no Brier score (e.g. rules that output scores, not probabilities).
 */

export interface PromotionMetrics {
  prAuc: number | null;
  brier: number | null;
}

export interface PromotionPolicy {
  minTrainingFailures: number;
  minValidationFailures: number;
  minPrAucGain: number;
  brierTolerance: number;
}

export const DEFAULT_PROMOTION_POLICY: PromotionPolicy = {
  minTrainingFailures: 20,
  minValidationFailures: 5,
  minPrAucGain: 0,
  brierTolerance: 0.005,
};

export interface PromotionInput {
  candidate: PromotionMetrics;
  /** The active model on the same validation rows; null when no model is active yet. */
  active: PromotionMetrics | null;
  /** The rule-based predictor on the same validation rows. */
  rules: PromotionMetrics;
  trainingFailures: number;
  validationFailures: number;
  policy?: Partial<PromotionPolicy>;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
  comparedWith: 'active-model' | 'rules';
}

const fmt = (v: number): string => v.toFixed(4);

export function decidePromotion(input: PromotionInput): PromotionDecision {
  const policy = { ...DEFAULT_PROMOTION_POLICY, ...input.policy };
  const comparedWith = input.active ? 'active-model' : 'rules';
  const baseline = input.active ?? input.rules;
  const baselineName = input.active ? 'the active model' : 'the rules';
  const reject = (reason: string): PromotionDecision => ({ promote: false, reason, comparedWith });

  if (input.trainingFailures < policy.minTrainingFailures) {
    return reject(
      `not enough failures to learn from: ${input.trainingFailures} in training, at least ${policy.minTrainingFailures} required`,
    );
  }
  if (input.validationFailures < policy.minValidationFailures) {
    return reject(
      `not enough failures to validate on: ${input.validationFailures} in validation, at least ${policy.minValidationFailures} required`,
    );
  }
  const candidatePrAuc = input.candidate.prAuc;
  if (candidatePrAuc === null) return reject('candidate PR-AUC is undefined on the validation set');
  if (baseline.prAuc !== null && !(candidatePrAuc > baseline.prAuc + policy.minPrAucGain)) {
    return reject(
      `candidate PR-AUC ${fmt(candidatePrAuc)} does not beat ${baselineName} (${fmt(baseline.prAuc)})` +
        (policy.minPrAucGain > 0 ? ` by more than ${policy.minPrAucGain}` : ''),
    );
  }
  const prAucPart =
    baseline.prAuc === null
      ? `PR-AUC ${fmt(candidatePrAuc)} (${baselineName} has none)`
      : `PR-AUC ${fmt(candidatePrAuc)} > ${fmt(baseline.prAuc)} of ${baselineName}`;

  const candidateBrier = input.candidate.brier;
  if (candidateBrier === null) return reject('candidate Brier score is undefined on the validation set');
  if (baseline.brier === null) {
    return { promote: true, reason: `${prAucPart}; Brier check skipped: ${baselineName} has no Brier score`, comparedWith };
  }
  if (candidateBrier > baseline.brier + policy.brierTolerance) {
    return reject(
      `${prAucPart}, but Brier score ${fmt(candidateBrier)} is worse than ${baselineName} (${fmt(baseline.brier)}) ` +
        `by more than the tolerance ${policy.brierTolerance}`,
    );
  }
  return {
    promote: true,
    reason: `${prAucPart}; Brier ${fmt(candidateBrier)} within ${policy.brierTolerance} of ${fmt(baseline.brier)}`,
    comparedWith,
  };
}
