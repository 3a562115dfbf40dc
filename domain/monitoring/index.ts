/**
 * Metrics intelligence wired into the product: contracts of the anomaly and capacity workflows, their input
 * validation, and the pure glue between domain/metrics and storage (point-in-time run checks, incident plans,
 * drift observations, capacity series and verdicts). Pure: importable from workflow code.
 */
export * from './contract.js';
export * from './inputs.js';
export { checkRun, countScore, emptyScanCounts, observationsFromCheck, rankRunFindings, toRunCheck, withoutMetrics } from './run-check.js';
export {
  driftFinding,
  driftIncidentMessage,
  driftMetric,
  driftObservation,
  formatMetricValue,
  incidentAlert,
  incidentChanges,
  incidentWrites,
  planIncidents,
  runIncidentMessage,
} from './incident-plan.js';
export type { IncidentPlan, IncidentWrite } from './incident-plan.js';
export {
  BYTES_PER_GB,
  capacityAlert,
  capacityEntry,
  capacityVerdict,
  combineRunningTotals,
  keptUnderPolicySeries,
  retainedSeries,
} from './capacity-plan.js';
export type { CapacityEntryInput } from './capacity-plan.js';
