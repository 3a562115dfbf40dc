/**
 * Backup metrics intelligence: robust anomaly detection, drift, alert deduplication and storage forecasting.
 * Pure: no I/O, no clock, no randomness. Methods and thresholds: docs/metrics-intelligence.md.
 */
export { detectAnomalies, Z_CRITICAL, Z_WARNING } from './zscore.js';
export type { AnomalyFinding, Direction, MetricBaseline, Severity } from './zscore.js';

export {
  LOG_SPREAD_FLOOR,
  MODIFIED_Z_ANOMALY,
  MODIFIED_Z_CRITICAL,
  RUN_METRICS,
  classifyModifiedZ,
  isDangerousDirection,
} from './anomaly-policy.js';
export type { RunMetric } from './anomaly-policy.js';

export {
  BASELINE_WINDOW_DAYS,
  MIN_BUCKET_RUNS,
  MIN_HISTORY_RUNS,
  buildBaselines,
  selectBucket,
  targetBaseline,
} from './baselines.js';
export type {
  BaselineLevel,
  BaselineOptions,
  BaselineSettings,
  Baselines,
  BucketBaseline,
  LogBaseline,
  TargetBaseline,
} from './baselines.js';

export { scanRuns, scoreRun } from './scoring.js';
export type {
  BaselineRef,
  FindingReason,
  RobustFinding,
  RunScore,
  ScanOptions,
  ScanResult,
  ScoredRun,
  UnscoredRun,
  UnscoredStatus,
} from './scoring.js';

export { EWMA_CALIBRATION_POINTS, EWMA_L, EWMA_LAMBDA, detectRunDrift, ewmaChart } from './drift.js';
export type { EwmaInsufficient, EwmaMonitored, EwmaOptions, EwmaResult, RunDriftResult, RunDriftSignal } from './drift.js';

export { INCIDENT_STALE_AFTER_MS, observationsFromScores, reconcileIncidents } from './incidents.js';
export type {
  ClosedIncident,
  IncidentDecision,
  IncidentOptions,
  MetricObservation,
  OpenIncident,
  StoredIncident,
} from './incidents.js';

export { FORECAST_CONFIDENCE, MAX_FORECAST_DAYS, forecast } from './forecast.js';
export type { ForecastOptions, ForecastResult } from './forecast.js';

export { HOLT_WINDOW_DAYS, MAX_HOLDOUT_POINTS, MIN_POINTS_FOR_SELECTION, OLS_WINDOW_DAYS, forecastSeries } from './series-forecast.js';
export type {
  DatedValue,
  ForecastMethod,
  ForecastPathPoint,
  MethodSelection,
  SeriesForecast,
  SeriesForecastOptions,
} from './series-forecast.js';

export { toDailySeries } from './daily-series.js';
export type { DailySeries, DuplicateAggregation, TimedValue } from './daily-series.js';

export { MAX_CAPACITY_HORIZON_DAYS, estimateDaysUntilFull } from './capacity.js';
export type { CapacityEstimate, HorizonModel } from './capacity.js';

export { fitOls, olsPredict, olsTrend } from './ols.js';
export type { IntervalPrediction, OlsFit, Trend } from './ols.js';
export { HOLT_ALPHA_GRID, HOLT_BETA_GRID, fitHolt, fitHoltGrid, holtPredict } from './holt.js';
export type { HoltFit } from './holt.js';
export { Z_975, studentT975 } from './student-t.js';

export { MetricsInputError } from './errors.js';
export type { MetricsInputErrorCode } from './errors.js';
