import type * as SentinelWorkflows from '../workflows/index.js';

// The public client module for other Node services: `import { SentinelClient } from 'backup-sentinel/client'`.
export { SentinelClient, type RunRef, type SentinelClientOptions } from './sentinel-client.js';
export type {
  BackupResult, GateDecision, HumanDecision, PreBackupInput, PreBackupResult, PreBackupState, Phase,
} from '../domain/prebackup/contract.js';
export type { Prediction, RiskFactor, ModelInfo } from '../domain/risk/prediction.js';
export type { RiskLevel } from '../domain/risk/levels.js';
export { preBackupWorkflowId } from '../domain/prebackup/contract.js';
export type { AppConfigInput, ConfigBackupInput, ConfigBackupResult, ConfigBackupTotals, ItemOutcome } from '../domain/config-backup-run/contract.js';
export type { RollbackModelInput, RollbackModelResult, TrainModelInput, TrainModelResult } from '../domain/models/contract.js';
export { CONFIG_BACKUP_WORKFLOW_TYPE, configBackupWorkflowId } from '../domain/config-backup-run/contract.js';
export { rollbackModelWorkflowId, trainModelWorkflowId } from '../domain/models/contract.js';
/** Workflow type names, for callers that start Sentinel workflows with their own Temporal client. */
export const WORKFLOW_TYPES = {
  preBackup: 'preBackupWorkflow',
  configBackup: 'configBackupWorkflow',
  trainModel: 'trainFailureModelWorkflow',
  rollbackModel: 'rollbackModelWorkflow',
} as const satisfies Record<string, keyof typeof SentinelWorkflows>;
