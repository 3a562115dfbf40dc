/**
 * The simulator behind the evaluation scenarios (scenarios.ts): a seeded backup history in which every run's
 * failure probability is known exactly, because the simulator draws the outcome from it. It is deliberately a
 * different program from the training/demo generator (domain/ml/synthetic-history.ts): other drivers, other
 * shapes (logistic effects instead of fixed probabilities), other target profiles, so a model tuned on that
 * generator is measured here on histories it was not developed on.
 *
 * A run's true failure probability is sigmoid(sum of the log-odds of the drivers a scenario switches on). Every
 * driver is a function of what the run knows before it starts (start time, estimates, database size, free space)
 * or of a hidden state (an incident, a target's flakiness, the date of a change) that only leaves a trace in the
 * outcomes. Pure and deterministic: the same options give the same runs and probabilities.
 */
import type { BackupRunRecord } from '../../history/types.js';
import { createRng, deriveSeed, type SeededRng } from '../rng.js';

export interface ScenarioHistory {
  runs: BackupRunRecord[];
  /** True failure probability of runs[i], the one its outcome was drawn from. */
  trueProbability: Float64Array;
}

/** Which drivers are on, and how strong; absent means off. Log-odds unless stated. */
export interface DriverSettings {
  /** Log-odds of a run with no driver active (the team's floor). */
  baseLogOdds: number;
  /** Disk pressure: + slope * max(0, ln(knee / (free space / expected size))): grows as the headroom falls below `knee`. */
  diskPressure?: { knee: number; slope: number };
  /** Contention: + perDoubling * log2(db GB / fromGb) during UTC hours [fromHour, toHour) for databases above fromGb. */
  contention?: { fromHour: number; toHour: number; fromGb: number; perDoubling: number };
  /** Weekday effect: + logOdds[day] (0 = Sunday). */
  weekday?: readonly number[];
  /** Multi-day incidents per target: start with `dailyChance`, last 1..maxDays days, + logOdds while on. */
  incidents?: { dailyChance: number; maxDays: number; logOdds: number };
  /** Target flakiness: each target gets + normal(0, sd) log-odds for its whole life. */
  flakinessSd?: number;
  /** Drift: from day `fromDay` on, + logOdds for runs whose database is above `aboveGb` (e.g. after an upgrade). */
  drift?: { fromDay: number; aboveGb: number; logOdds: number; flakinessReshuffle: boolean };
  /** Little history: this share of the targets start only `lastDays` days before the end. */
  lateTargets?: { share: number; lastDays: number };
  /** Pure-noise targets: the first `count` targets fail with `probability` whatever happens. */
  noiseTargets?: { count: number; probability: number };
}

export interface SimulationOptions {
  targets: number;
  days: number;
  runsPerDay: number;
  seed: number;
  /** First day, UTC midnight. */
  start: Date;
  drivers: DriverSettings;
}

const GIB = 1024 ** 3;
const MS_PER_DAY = 86_400_000;

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

interface Profile {
  name: string;
  dbGb: number;
  growthPerDay: number;
  compression: number;
  /** Disk capacity in multiples of the initial backup size. */
  diskInBackups: number;
  gbPerMinute: number;
  flakiness: number;
  flakinessAfterDrift: number;
  firstDay: number;
  noise: boolean;
  offsetMinutes: number;
}

function profileOf(rng: SeededRng, index: number, o: SimulationOptions): Profile {
  const d = o.drivers;
  const flakinessSd = d.flakinessSd ?? 0;
  const late = d.lateTargets && index >= o.targets - Math.max(1, Math.round(o.targets * d.lateTargets.share));
  return {
    name: `t${String(index + 1).padStart(2, '0')}`,
    // 5 GB .. 1.5 TB, log-uniform: contention and drift need small and big databases side by side.
    dbGb: Math.exp(rng.uniform(Math.log(5), Math.log(1500))),
    growthPerDay: rng.uniform(0, 0.01),
    compression: rng.uniform(0.2, 0.6),
    diskInBackups: rng.uniform(2.5, 6),
    gbPerMinute: rng.uniform(0.5, 3),
    flakiness: rng.normal(0, flakinessSd),
    flakinessAfterDrift: d.drift?.flakinessReshuffle ? rng.normal(0, Math.max(flakinessSd, 0.8)) : Number.NaN,
    firstDay: late && d.lateTargets ? Math.max(0, o.days - d.lateTargets.lastDays) : 0,
    noise: d.noiseTargets !== undefined && index < d.noiseTargets.count,
    offsetMinutes: rng.uniform(0, 50),
  };
}

export function simulateHistory(o: SimulationOptions): ScenarioHistory {
  if (!(o.targets >= 1 && o.days >= 1 && o.runsPerDay >= 1)) throw new RangeError('targets, days and runsPerDay must be >= 1');
  const runs: BackupRunRecord[] = [];
  const probabilities: number[] = [];
  const d = o.drivers;
  const intervalMs = MS_PER_DAY / o.runsPerDay;
  for (let t = 0; t < o.targets; t++) {
    const p = profileOf(createRng(deriveSeed(o.seed, t)), t, o);
    const rng = createRng(deriveSeed(o.seed ^ 0x2545f491, t));
    // Disk headroom in backups: falls as backups accumulate, jumps back when an operator cleans up.
    let headroom = p.diskInBackups;
    let incidentDaysLeft = 0;
    for (let day = p.firstDay; day < o.days; day++) {
      const dbGbToday = p.dbGb * Math.exp(p.growthPerDay * day);
      headroom -= rng.uniform(0, 0.6);
      if (headroom < 0.6 || rng.chance(0.08)) headroom = p.diskInBackups * rng.uniform(0.8, 1.2);
      if (incidentDaysLeft > 0) incidentDaysLeft--;
      else if (d.incidents && rng.chance(d.incidents.dailyChance)) incidentDaysLeft = 1 + rng.intBelow(d.incidents.maxDays);
      const drifted = d.drift !== undefined && day >= d.drift.fromDay;
      for (let slot = 0; slot < o.runsPerDay; slot++) {
        const startedAt = new Date(o.start.getTime() + day * MS_PER_DAY + slot * intervalMs + p.offsetMinutes * 60_000 + rng.normal(0, 60_000));
        const dbGb = dbGbToday * (1 + rng.normal(0, 0.01));
        const sizeGb = dbGb * p.compression * (1 + rng.normal(0, 0.04));
        const estimatedSizeGb = sizeGb * Math.exp(rng.normal(0, 0.05));
        const freeGb = Math.max(0, headroom * sizeGb * (1 + rng.normal(0, 0.03)));
        const hour = startedAt.getUTCHours();

        let z = d.baseLogOdds;
        if (d.diskPressure) z += d.diskPressure.slope * Math.max(0, Math.log(d.diskPressure.knee / Math.max(freeGb / estimatedSizeGb, 1e-3)));
        if (d.contention && hour >= d.contention.fromHour && hour < d.contention.toHour && dbGb > d.contention.fromGb)
          z += d.contention.perDoubling * Math.log2(dbGb / d.contention.fromGb);
        if (d.weekday) z += d.weekday[startedAt.getUTCDay()] ?? 0;
        if (d.incidents && incidentDaysLeft > 0) z += d.incidents.logOdds;
        z += drifted && d.drift?.flakinessReshuffle ? p.flakinessAfterDrift : p.flakiness;
        if (drifted && d.drift && dbGb > d.drift.aboveGb) z += d.drift.logOdds;
        const probability = p.noise && d.noiseTargets ? d.noiseTargets.probability : sigmoid(z);

        const failed = rng.chance(probability);
        const minutes = (sizeGb / p.gbPerMinute) * Math.exp(rng.normal(0, 0.1));
        runs.push({
          backupId: `scn-s${o.seed}-${p.name}-${String(day * o.runsPerDay + slot).padStart(6, '0')}`,
          target: p.name,
          startedAt,
          status: failed ? 'failed' : 'completed',
          durationSeconds: Math.max(1, Math.round(minutes * 60 * (failed ? rng.uniform(0.05, 0.9) : 1))),
          sizeBytes: Math.round(sizeGb * GIB * (failed ? rng.uniform(0, 0.9) : 1)),
          databaseSizeGb: Math.round(dbGb * 100) / 100,
          freeSpaceGb: Math.round(freeGb * 100) / 100,
          estimatedDuration: Math.round((estimatedSizeGb / p.gbPerMinute) * 60),
          estimatedSize: Math.round(estimatedSizeGb * GIB),
          errorMessage: failed ? 'simulated failure' : null,
        });
        probabilities.push(probability);
      }
    }
  }
  // Start order, as a history export would list them; ties keep the target order.
  const order = runs
    .map((_, i) => i)
    .sort((a, b) => (runs[a] as BackupRunRecord).startedAt.getTime() - (runs[b] as BackupRunRecord).startedAt.getTime() || a - b);
  return { runs: order.map((i) => runs[i] as BackupRunRecord), trueProbability: Float64Array.from(order, (i) => probabilities[i] as number) };
}
