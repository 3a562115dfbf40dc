// The public client module for other Node services: `import { SentinelClient } from 'backup-sentinel/client'`.
export { SentinelClient, type RunRef, type SentinelClientOptions } from './sentinel-client.js';
export type {
  BackupResult, GateDecision, HumanDecision, PreBackupInput, PreBackupResult, PreBackupState, Phase,
} from '../domain/prebackup/contract.js';
export type { Prediction, RiskFactor, ModelInfo } from '../domain/risk/prediction.js';
export type { RiskLevel } from '../domain/risk/levels.js';
export { preBackupWorkflowId } from '../domain/prebackup/contract.js';
