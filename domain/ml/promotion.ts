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
 * 2. its PR-AUC beats the baseline's by more than `minPrAucGain` (default 0: strictly better). The baseline is the
 *    active model, or the rules when there is no active model;
 * 3. it is better than no model at all, whatever the baseline: its ROC-AUC is at least `minRocAuc` (chance is
 *    0.5) and its Brier score is strictly below that of always predicting the validation window's base rate. Beating
 *    a weak baseline on PR-AUC is not enough: a constant predictor has PR-AUC = base rate and ROC-AUC 0.5, and
 *    rules that rank worse than chance let it "win" (issue #11, item 10: ROC-AUC 0.50, recall 0, Brier 0.243
 *    against the base rate's 0.210 was promoted);
 * 4. its Brier score is not worse than the baseline's by more than `brierTolerance` (default 0.005, about a tenth
 *    of the Brier score of a 5% base rate): better ranking must not come with badly calibrated probabilities.
 *    Skipped, and said so, when the baseline has no Brier score (e.g. rules that output scores, not probabilities).
 * 5. when the caller gives the validation window's size: its ROC-AUC is above what a no-skill predictor reaches by
 *    chance on a window of that size (`chanceRocAucBound`), so a model fitted on noise is not promoted by luck.
 * Every refusal's reason starts with "not promoted: " and names the figures compared.
 */

/**
 * The lowest validation ROC-AUC a candidate may have. 0.5 is chance, and exactly what a constant predictor or a
 * forest of single-leaf trees scores; 0.55 is the smallest effect worth acting on (a random failure ranked above a
 * random success 55% of the time, Gini 0.10), and low enough not to refuse a weak but real first model: the
 * synthetic histories' models score 0.8-0.9. It is a floor against no-skill models, not a significance test: with
 * 5 validation failures among 100 runs the standard error of a chance ROC-AUC is about 0.13, which is why the
 * failure minimums (and the PR-AUC and Brier comparisons) stay in force beside it.
 */
export const MIN_PROMOTION_ROC_AUC = 0.55;

export interface PromotionMetrics {
  prAuc: number | null;
  brier: number | null;
}

export interface CandidateMetrics extends PromotionMetrics {
  rocAuc: number | null;
}

export interface PromotionPolicy {
  minTrainingFailures: number;
  minValidationFailures: number;
  minPrAucGain: number;
  brierTolerance: number;
  minRocAuc: number;
}

export const DEFAULT_PROMOTION_POLICY: PromotionPolicy = {
  minTrainingFailures: 20,
  minValidationFailures: 5,
  minPrAucGain: 0,
  brierTolerance: 0.005,
  minRocAuc: MIN_PROMOTION_ROC_AUC,
};

export interface PromotionInput {
  candidate: CandidateMetrics;
  /** Brier score of always predicting the validation window's base rate (rate * (1 - rate)), on the same rows. */
  baseRateBrier: number | null;
  /** The active model on the same validation rows; null when no model is active yet. */
  active: PromotionMetrics | null;
  /** The rule-based predictor on the same validation rows. */
  rules: PromotionMetrics;
  trainingFailures: number;
  validationFailures: number;
  /** Validation rows; when given, the ROC-AUC must also be significantly above chance (see `chanceRocAucBound`). */
  validationRows?: number;
  policy?: Partial<PromotionPolicy>;
}

/**
 * The ROC-AUC a predictor with no skill reaches by chance in about 2.5% of validation windows of this size: 0.5 + 2 SE,
 * with the standard error of Hanley & McNeil (1982) at AUC 0.5 (Q1 = Q2 = 1/3): SE = sqrt((1/4 + (P-1)/12 +
 * (N-1)/12) / (P N)). With 100 failures among 1700 runs that is 0.56: a forest fitted on pure noise reached 0.558
 * there (the nothing-predictable scenario, domain/ml/scenarios) and would have been promoted on the fixed floor alone.
 */
export function chanceRocAucBound(positives: number, negatives: number): number {
  if (positives < 1 || negatives < 1) return 1;
  const se = Math.sqrt((0.25 + (positives - 1) / 12 + (negatives - 1) / 12) / (positives * negatives));
  return 0.5 + 2 * se;
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
  const reject = (reason: string): PromotionDecision => ({ promote: false, reason: `not promoted: ${reason}`, comparedWith });

  if (input.trainingFailures < policy.minTrainingFailures) {
    return reject(`not enough failures to learn from: ${input.trainingFailures} in training, at least ${policy.minTrainingFailures} required`);
  }
  if (input.validationFailures < policy.minValidationFailures) {
    return reject(`not enough failures to validate on: ${input.validationFailures} in validation, at least ${policy.minValidationFailures} required`);
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

  const { rocAuc } = input.candidate;
  if (rocAuc === null) return reject('candidate ROC-AUC is undefined on the validation set');
  if (!(rocAuc >= policy.minRocAuc)) {
    return reject(`ROC-AUC ${fmt(rocAuc)} is not above chance: at least ${policy.minRocAuc} required (0.5 is a coin toss)`);
  }
  const candidateBrier = input.candidate.brier;
  if (candidateBrier === null) return reject('candidate Brier score is undefined on the validation set');
  if (input.baseRateBrier === null) return reject("the base rate's Brier score is undefined on the validation set");
  if (!(candidateBrier < input.baseRateBrier)) {
    return reject(
      `Brier ${fmt(candidateBrier)} ${candidateBrier > input.baseRateBrier ? 'is worse than' : 'does not beat'} the base rate's ${fmt(input.baseRateBrier)} (always predicting the validation failure rate)`,
    );
  }

  // Last of the floors, so the older reasons keep their wording when they apply too.
  if (input.validationRows !== undefined) {
    const bound = chanceRocAucBound(input.validationFailures, input.validationRows - input.validationFailures);
    if (!(rocAuc > bound)) {
      return reject(
        `ROC-AUC ${fmt(rocAuc)} is within chance for ${input.validationFailures} failures in ${input.validationRows} runs: above ${fmt(bound)} required (0.5 + 2 standard errors)`,
      );
    }
  }
  if (baseline.brier === null) {
    return {
      promote: true,
      reason: `${prAucPart}; ROC-AUC ${fmt(rocAuc)}; Brier ${fmt(candidateBrier)} below the base rate's ${fmt(input.baseRateBrier)}; Brier check skipped: ${baselineName} has no Brier score`,
      comparedWith,
    };
  }
  if (candidateBrier > baseline.brier + policy.brierTolerance) {
    return reject(
      `${prAucPart}, but Brier score ${fmt(candidateBrier)} is worse than ${baselineName} (${fmt(baseline.brier)}) ` +
        `by more than the tolerance ${policy.brierTolerance}`,
    );
  }
  return {
    promote: true,
    reason: `${prAucPart}; ROC-AUC ${fmt(rocAuc)}; Brier ${fmt(candidateBrier)} below the base rate's ${fmt(input.baseRateBrier)} and within ${policy.brierTolerance} of ${fmt(baseline.brier)}`,
    comparedWith,
  };
}
