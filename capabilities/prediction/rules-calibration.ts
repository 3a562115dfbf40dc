/**
 * Live side of the rules calibrated to the team (domain/risk/rules-calibration.ts): the map is fitted on the team's
 * runs that ended before the current UTC day (lookback 90 days, newest 20000), as the evaluation does
 * (domain/models/rules-scores.ts `scoreRunsWithCalibratedRules`), and kept for ten minutes per process so a
 * prediction costs one fit per day and cache period, not one per call. The past runs' rule probabilities are point in
 * time over the loaded window (its oldest runs see less history than they did live: a small, conservative
 * difference).
 */
import type pg from 'pg';
import { teamHistoryForCalibration } from '../../db/repositories/backup-runs.js';
import { scoreRunsWithRules } from '../../domain/models/rules-scores.js';
import {
  fitRulesCalibration,
  RULES_CALIBRATION_LOOKBACK_DAYS,
  RULES_CALIBRATION_MAX_RUNS,
  type RulesCalibration,
} from '../../domain/risk/rules-calibration.js';

const MS_PER_DAY = 86_400_000;
const CACHE_MS = 10 * 60_000;

export class RulesCalibrationCache {
  private entry: { db: pg.Pool; day: number; fittedAt: number; calibration: RulesCalibration } | null = null;

  async get(db: pg.Pool, now: Date): Promise<RulesCalibration> {
    const day = Math.floor(now.getTime() / MS_PER_DAY);
    const e = this.entry;
    // Keyed by the pool too: a process that talks to two databases (tests, the CLI) never mixes their teams.
    if (e && e.db === db && e.day === day && Date.now() - e.fittedAt < CACHE_MS) return e.calibration;
    const runs = await teamHistoryForCalibration(db, new Date(day * MS_PER_DAY), RULES_CALIBRATION_LOOKBACK_DAYS, RULES_CALIBRATION_MAX_RUNS);
    runs.reverse();
    const scores = scoreRunsWithRules(runs);
    const labels = Uint8Array.from(runs, (r) => (r.status === 'failed' ? 1 : 0));
    const calibration = fitRulesCalibration(scores, labels);
    this.entry = { db, day, fittedAt: Date.now(), calibration };
    return calibration;
  }
}

export const processRulesCalibrationCache = new RulesCalibrationCache();
