import { describe, expect, it } from 'vitest';
import { decidePromotion } from '../../../domain/ml/promotion.js';

const enough = { trainingFailures: 40, validationFailures: 10 };
const rules = { prAuc: 0.3, brier: null };

describe('promotion gate', () => {
  it('promotes over the rules when there is no active model', () => {
    const d = decidePromotion({ ...enough, candidate: { prAuc: 0.5, brier: 0.04 }, active: null, rules });
    expect(d).toMatchObject({ promote: true, comparedWith: 'rules' });
    expect(d.reason).toMatch(/0\.5000 > 0\.3000/);
    expect(d.reason).toMatch(/Brier check skipped/);
  });

  it('compares with the active model when there is one', () => {
    const active = { prAuc: 0.55, brier: 0.04 };
    expect(decidePromotion({ ...enough, candidate: { prAuc: 0.5, brier: 0.03 }, active, rules })).toMatchObject({
      promote: false,
      comparedWith: 'active-model',
    });
    expect(decidePromotion({ ...enough, candidate: { prAuc: 0.55, brier: 0.03 }, active, rules }).promote).toBe(false);
    expect(decidePromotion({ ...enough, candidate: { prAuc: 0.56, brier: 0.044 }, active, rules }).promote).toBe(true);
  });

  it('refuses a better ranking with a Brier score worse beyond the tolerance', () => {
    const active = { prAuc: 0.4, brier: 0.04 };
    const d = decidePromotion({ ...enough, candidate: { prAuc: 0.6, brier: 0.0451 }, active, rules });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/Brier score 0\.0451 is worse/);
    expect(decidePromotion({ ...enough, candidate: { prAuc: 0.6, brier: 0.0451 }, active, rules, policy: { brierTolerance: 0.01 } }).promote).toBe(
      true,
    );
  });

  it('requires enough failures in training and validation', () => {
    const candidate = { prAuc: 0.9, brier: 0.01 };
    expect(decidePromotion({ trainingFailures: 19, validationFailures: 10, candidate, active: null, rules }).reason).toMatch(
      /19 in training, at least 20/,
    );
    expect(decidePromotion({ trainingFailures: 20, validationFailures: 4, candidate, active: null, rules }).reason).toMatch(
      /4 in validation, at least 5/,
    );
    expect(decidePromotion({ trainingFailures: 20, validationFailures: 5, candidate, active: null, rules }).promote).toBe(true);
  });

  it('refuses an undefined candidate PR-AUC', () => {
    expect(decidePromotion({ ...enough, candidate: { prAuc: null, brier: 0.01 }, active: null, rules }).promote).toBe(false);
  });
});
