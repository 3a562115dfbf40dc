// Every workflow the worker registers. Workflow code is deterministic: no I/O, clocks, ML or crypto here.
export { preBackupWorkflow, stateQuery, approveSignal, rejectSignal, decideUpdate } from './pre-backup.js';
export { anomalyMonitorWorkflow } from './anomaly-monitor.js';
export { capacityForecastWorkflow } from './capacity-forecast.js';
export { freshnessCheckWorkflow } from './freshness.js';
export { configBackupWorkflow } from './config-backup.js';
export { trainFailureModelWorkflow, rollbackModelWorkflow } from './models.js';
export { modelMonitorWorkflow } from './model-monitor.js';
export { restoreDrillWorkflow } from './restore-drill.js';
