import { configBackupWorkflow } from '../workflows/config-backup.js';
import { rollbackModelWorkflow, trainFailureModelWorkflow } from '../workflows/models.js';
import { preBackupWorkflow } from '../workflows/pre-backup.js';
import { restoreDrillWorkflow } from '../workflows/restore-drill.js';

// The public client module for other Node services: `import { SentinelClient } from 'backup-sentinel/client'`.
export { SentinelClient, type RunRef, type SentinelClientOptions } from './sentinel-client.js';
export type {
  BackupResult,
  GateDecision,
  HumanDecision,
  PreBackupInput,
  PreBackupResult,
  PreBackupState,
  Phase,
} from '../domain/pre-backup/contract.js';
export type { Prediction, RiskFactor, ModelInfo } from '../domain/risk/prediction.js';
export type { RiskLevel } from '../domain/risk/levels.js';
export { preBackupWorkflowId } from '../domain/pre-backup/contract.js';
export type { AppConfigInput, ConfigBackupInput, ConfigBackupResult, ConfigBackupTotals, ItemOutcome } from '../domain/config-backup/contract.js';
export type { RollbackModelInput, RollbackModelResult, TrainModelInput, TrainModelResult } from '../domain/models/contract.js';
export { configBackupWorkflowId } from '../domain/config-backup/contract.js';
export type { DrillCheckResult, RestoreDrillInput, RestoreDrillResult } from '../domain/drill/contract.js';
export { restoreDrillWorkflowId } from '../domain/drill/contract.js';
export { rollbackModelWorkflowId, trainModelWorkflowId } from '../domain/models/contract.js';
/**
 * The workflow definitions themselves, for callers that start or answer Sentinel workflows with their own Temporal
 * client: `client.workflow.start(preBackupWorkflow, ...)`, `handle.query(stateQuery)`, `handle.executeUpdate(decideUpdate, ...)`.
 */
export { configBackupWorkflow } from '../workflows/config-backup.js';
export { rollbackModelWorkflow, trainFailureModelWorkflow } from '../workflows/models.js';
export { approveSignal, decideUpdate, preBackupWorkflow, rejectSignal, stateQuery } from '../workflows/pre-backup.js';
export { restoreDrillWorkflow } from '../workflows/restore-drill.js';

/**
 * Workflow type names, for callers in other languages or schedules built by hand: taken from the definitions (the
 * worker registers each under its export name, which test/unit/platform/workflow-types.test.ts holds equal).
 */
export const WORKFLOW_TYPES = {
  preBackup: preBackupWorkflow.name,
  configBackup: configBackupWorkflow.name,
  trainModel: trainFailureModelWorkflow.name,
  rollbackModel: rollbackModelWorkflow.name,
  restoreDrill: restoreDrillWorkflow.name,
};
