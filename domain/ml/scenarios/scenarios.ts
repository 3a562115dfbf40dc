/**
 * The evaluation suite: named backup-history scenarios the failure model is NOT tuned on (the model's features and
 * defaults were developed on domain/ml/synthetic-history.ts; these come from domain/ml/scenarios/simulate.ts, another
 * program with other drivers). Each emits the true failure probability of every run, so a predictor's PR-AUC can be
 * put beside the attainable one (the true probabilities' PR-AUC on the same rows).
 *
 * docs/model-evaluation.md describes each scenario's drivers; bench/model.ts --scenarios measures them and
 * test/unit/ml/scenarios.test.ts holds a floor on each.
 */
import { simulateHistory, type DriverSettings, type ScenarioHistory } from './simulate.js';

export interface ScenarioSize {
  targets: number;
  days: number;
  runsPerDay: number;
}

export interface Scenario {
  name: string;
  /** One line: what drives failures (docs/model-evaluation.md has the details). */
  drivers: string;
  /** Whether a predictor can do better than the base rate at all (false: nothing is predictable). */
  predictable: boolean;
  /** `start`: first day (UTC midnight; default 2025-01-06, a Monday). */
  generate(options: { seed: number; size?: Partial<ScenarioSize>; start?: Date }): ScenarioHistory;
}

/** Small enough for CI on two cores (about 8-9k runs), big enough for ~60-100 validation failures. */
export const DEFAULT_SCENARIO_SIZE: ScenarioSize = { targets: 8, days: 90, runsPerDay: 12 };
const START = new Date(Date.UTC(2025, 0, 6)); // a Monday

/** Background of every scenario: ~2.5% of runs fail for no visible reason. */
const BASE = -3.7;

function scenario(name: string, drivers: string, settings: (size: ScenarioSize) => DriverSettings, predictable = true): Scenario {
  return {
    name,
    drivers,
    predictable,
    generate({ seed, size, start }) {
      const s = { ...DEFAULT_SCENARIO_SIZE, ...size };
      return simulateHistory({ ...s, seed, start: start ?? START, drivers: settings(s) });
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  scenario('disk-pressure', 'free space relative to the expected backup size: the log-odds rise as the headroom falls below 1.5 backups', () => ({
    baseLogOdds: BASE,
    diskPressure: { knee: 1.5, slope: 6 },
  })),
  scenario(
    'hour-size-contention',
    'databases above 100 GB backed up during business hours (08-18 UTC) contend with traffic: +1.2 log-odds per doubling above 100 GB; small databases or night hours are unaffected',
    () => ({ baseLogOdds: BASE, contention: { fromHour: 8, toHour: 18, fromGb: 100, perDoubling: 1.2 } }),
  ),
  scenario('weekday', 'weekly batch jobs: Saturday +2.2 and Monday +1.2 log-odds, Sunday -0.5', () => ({
    baseLogOdds: BASE,
    weekday: [-0.5, 1.2, 0, 0, 0, 0, 2.2],
  })),
  scenario('incidents', 'multi-day incidents per target (4% of days start one, lasting 1-4 days): +3 log-odds while it lasts, so failures cluster', () => ({
    baseLogOdds: BASE,
    incidents: { dailyChance: 0.04, maxDays: 4, logOdds: 3 },
  })),
  scenario('flaky-targets', "each target has its own lasting flakiness, normal(0, 1.6) log-odds: the target's own failure rate is the signal", () => ({
    baseLogOdds: BASE,
    flakinessSd: 1.6,
  })),
  scenario(
    'drift',
    'a step change on day 60 (of 90): an upgrade makes databases above 200 GB fail (+2.5 log-odds) and every target gets a new flakiness; disk pressure throughout',
    (size) => ({
      baseLogOdds: BASE,
      diskPressure: { knee: 1.5, slope: 3 },
      flakinessSd: 0.5,
      drift: { fromDay: Math.round(size.days * (2 / 3)), aboveGb: 200, logOdds: 2.5, flakinessReshuffle: true },
    }),
  ),
  scenario(
    'little-history',
    'three of eight targets start 12 days before the end (their runs are mostly in the validation window); flakiness normal(0, 1) and disk pressure',
    () => ({ baseLogOdds: BASE, flakinessSd: 1, diskPressure: { knee: 1.5, slope: 3 }, lateTargets: { share: 0.375, lastDays: 12 } }),
  ),
  scenario('noise-target', 'one target fails 15% of the time at random (pure noise); the others have disk pressure and contention', () => ({
    baseLogOdds: BASE,
    diskPressure: { knee: 1.5, slope: 4 },
    contention: { fromHour: 8, toHour: 18, fromGb: 100, perDoubling: 1.2 },
    noiseTargets: { count: 1, probability: 0.15 },
  })),
  scenario(
    'nothing-predictable',
    'every target fails 6% of the time at random: no predictor can beat the base rate, and no model may be promoted',
    (size) => ({ baseLogOdds: BASE, noiseTargets: { count: size.targets, probability: 0.06 } }),
    false,
  ),
];

export function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new RangeError(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
