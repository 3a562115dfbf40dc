import type { HistoricalContext } from '../history/types.js';
import type { RiskLevel } from './levels.js';

/** What the caller knows about the upcoming run. Missing figures fall back to the target's typical values. */
export interface PredictionRequest {
  target: string;
  threshold: number;
  /** When the backup would start (ISO); drives hour-of-day effects. */
  startAt: string;
  estimatedDurationSeconds?: number | undefined;
  estimatedSizeBytes?: number | undefined;
  databaseSizeGb?: number | undefined;
  freeSpaceGb?: number | undefined;
  /** Caller-supplied history summary; computed from `backup_runs` when absent. */
  context?: Partial<HistoricalContext> | undefined;
}

export interface RiskFactor {
  /** Stable identifier, e.g. `recent_failures`. */
  factor: string;
  /** The observed value that drives it. */
  value: number | string | null;
  /** Change in log-odds of failure this factor contributes (positive raises risk). */
  contribution: number;
  description: string;
}

export interface ModelInfo {
  kind: 'rules' | 'ml';
  version?: string | number | undefined;
  algorithm?: string | undefined;
  /** Why the trained model was not used, when it was expected to be. */
  fallbackReason?: string | undefined;
  /** Rules only: how their score was mapped to the team's outcomes (domain/risk/rules-calibration.ts). */
  calibration?: string | undefined;
}

/**
 * Where the threshold came from: sentinel.yaml's number, `auto` (the active model's recommendation), `auto`
 * without a recommendation (the default), or the caller (an input override, or a gate resolved against an earlier model).
 */
export type ThresholdSource =
  | { mode: 'configured' }
  | { mode: 'caller' }
  | {
      mode: 'auto';
      modelVersion: number;
      goal: { alertBudget?: number; wantedPrecision?: number };
      basis: 'target' | 'overall';
      expected: { flaggedShare: number; precision: number | null; recall: number | null };
      reason: string;
    }
  | { mode: 'auto-fallback'; reason: string };

export interface Prediction {
  target: string;
  failureProbability: number;
  riskLevel: RiskLevel;
  threshold: number;
  /** How `threshold` was chosen (set by the prediction activity and `sentinel predict`). */
  thresholdSource?: ThresholdSource | undefined;
  riskFactors: RiskFactor[];
  recommendedActions: string[];
  /** 0..1: how much history the prediction rests on. */
  confidence: number;
  model: ModelInfo;
  context: HistoricalContext;
  predictedAt: string;
}
