import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { preBackupWorkflowId, type HumanDecision, type PreBackupInput, type PreBackupResult, type PreBackupState } from '../domain/pre-backup/contract.js';
import { configBackupWorkflowId, type ConfigBackupInput, type ConfigBackupResult } from '../domain/config-backup/contract.js';
import {
  rollbackModelWorkflowId,
  trainModelWorkflowId,
  type RollbackModelInput,
  type RollbackModelResult,
  type TrainModelInput,
  type TrainModelResult,
} from '../domain/models/contract.js';
import { restoreDrillWorkflowId, type RestoreDrillInput, type RestoreDrillResult } from '../domain/drill/contract.js';
import { assertCodecForSecrets } from '../platform/codec/secrets-guard.js';
import { DEFAULT_TEMPORAL_ADDRESS } from '../platform/env.js';
import { sentinelDataConverter } from '../platform/temporal.js';
import { configBackupWorkflow } from '../workflows/config-backup.js';
import { rollbackModelWorkflow, trainFailureModelWorkflow } from '../workflows/models.js';
import { decideUpdate, preBackupWorkflow, stateQuery } from '../workflows/pre-backup.js';
import { restoreDrillWorkflow } from '../workflows/restore-drill.js';
import { BackupTarget } from '../workflows/search-attributes.js';

export interface SentinelClientOptions {
  /** Temporal frontend, default TEMPORAL_ADDRESS or 127.0.0.1:7233. */
  address?: string;
  namespace?: string;
  /** The Sentinel workers' task queue, default SENTINEL_TASK_QUEUE or `backup-sentinel`. */
  taskQueue?: string;
  /** Reuse a connection the calling service already has. */
  connection?: Connection;
}

/** A started (or already running/finished) run. `alreadyStarted` is true when the same logical run existed. */
export interface RunRef {
  workflowId: string;
  runId: string | undefined;
  alreadyStarted: boolean;
}

/**
 * Typed access to Backup Sentinel for other Node services: start runs, answer approvals, read status. It uses the
 * same data converter (and so the same payload encryption, from CONFIG_BACKUP_KEY) as the workers and the CLI.
 */
export class SentinelClient {
  private constructor(
    readonly temporal: Client,
    readonly taskQueue: string,
    private readonly ownedConnection: Connection | undefined,
  ) {}

  /** Around a Temporal client the caller already has, with its data converter (the CLI's). */
  static fromClient(client: Client, taskQueue: string): SentinelClient {
    return new SentinelClient(client, taskQueue, undefined);
  }

  static async connect(options: SentinelClientOptions = {}): Promise<SentinelClient> {
    const owned = options.connection
      ? undefined
      : await Connection.connect({ address: options.address ?? process.env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS });
    const connection = options.connection ?? owned!;
    const client = new Client({
      connection,
      namespace: options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
      dataConverter: sentinelDataConverter(),
    });
    return new SentinelClient(client, options.taskQueue ?? process.env.SENTINEL_TASK_QUEUE ?? 'backup-sentinel', owned);
  }

  /**
   * Starts the pre-backup gate for `input.target`. The workflow ID is `pre-backup/<target>/<scheduledAt>`, so
   * starting the same logical run twice (same target and scheduled time) returns the first run instead of
   * starting a second backup, whether that run is still going or already finished.
   */
  async startPreBackup(input: PreBackupInput, options: { scheduledAt?: Date | string } = {}): Promise<RunRef> {
    return this.startOnce(preBackupWorkflow, preBackupWorkflowId(input.target, options.scheduledAt ?? new Date()), [input], {
      staticSummary: `Pre-backup gate: ${input.target}`,
      typedSearchAttributes: [{ key: BackupTarget, value: input.target }],
    });
  }

  /**
   * Starts `configBackupWorkflow` (ID `config-backup/<at>`). What to back up defaults to the worker's CONFIG_*
   * environment. Application configs are secrets in a workflow input: without CONFIG_BACKUP_KEY in this process
   * (so no payload encryption) they are refused here rather than stored in Temporal history in plaintext.
   */
  async startConfigBackup(input: ConfigBackupInput = {}, options: { at?: Date | string } = {}): Promise<RunRef> {
    if ((input.apps?.length ?? 0) > 0) assertCodecForSecrets(this.temporal, 'start configBackupWorkflow with application configs');
    return this.startOnce(configBackupWorkflow, configBackupWorkflowId(options.at ?? new Date()), [input], {
      staticSummary: 'Configuration backup (started by a client)',
    });
  }

  /** Starts `trainFailureModelWorkflow` (ID `train-model/<at>`): train, evaluate against the active model and the rules, promote or keep. */
  async startTraining(input: TrainModelInput = {}, options: { at?: Date | string } = {}): Promise<RunRef> {
    return this.startOnce(trainFailureModelWorkflow, trainModelWorkflowId(options.at ?? new Date()), [input], {
      staticSummary: 'Failure-model training (started by a client)',
    });
  }

  /** Starts `rollbackModelWorkflow` (ID `rollback-model/<at>`): restores the snapshot taken before the last model change, or `toVersion`. */
  async startRollback(input: RollbackModelInput = {}, options: { at?: Date | string } = {}): Promise<RunRef> {
    return this.startOnce(rollbackModelWorkflow, rollbackModelWorkflowId(options.at ?? new Date()), [input], {
      staticSummary: 'Failure-model rollback (started by a client)',
    });
  }

  /**
   * Starts `restoreDrillWorkflow` for `input.target` (ID `restore-drill/<target>/<at>`): restore the newest dump into
   * a scratch database and check it, or run the target's drill command. Starting the same (target, at) twice
   * returns the first run.
   */
  async startRestoreDrill(input: RestoreDrillInput, options: { at?: Date | string } = {}): Promise<RunRef> {
    return this.startOnce(restoreDrillWorkflow, restoreDrillWorkflowId(input.target, options.at ?? new Date()), [input], {
      staticSummary: `Restore drill: ${input.target}`,
      typedSearchAttributes: [{ key: BackupTarget, value: input.target }],
    });
  }

  restoreDrillResult(workflowId: string): Promise<RestoreDrillResult> {
    return this.temporal.workflow.getHandle<typeof restoreDrillWorkflow>(workflowId).result();
  }

  configBackupResult(workflowId: string): Promise<ConfigBackupResult> {
    return this.temporal.workflow.getHandle<typeof configBackupWorkflow>(workflowId).result();
  }

  trainingResult(workflowId: string): Promise<TrainModelResult> {
    return this.temporal.workflow.getHandle<typeof trainFailureModelWorkflow>(workflowId).result();
  }

  rollbackResult(workflowId: string): Promise<RollbackModelResult> {
    return this.temporal.workflow.getHandle<typeof rollbackModelWorkflow>(workflowId).result();
  }

  /** Approves a run awaiting a decision; rejects with the workflow's reason when it is not awaiting one. */
  approve(workflowId: string, decision: HumanDecision): Promise<PreBackupState> {
    return this.decide(workflowId, 'approve', decision);
  }

  reject(workflowId: string, decision: HumanDecision): Promise<PreBackupState> {
    return this.decide(workflowId, 'reject', decision);
  }

  /** The running state of a pre-backup run (phase, prediction, decision, delays, backup). */
  preBackupState(workflowId: string): Promise<PreBackupState> {
    return this.temporal.workflow.getHandle<typeof preBackupWorkflow>(workflowId).query(stateQuery);
  }

  preBackupResult(workflowId: string): Promise<PreBackupResult> {
    return this.temporal.workflow.getHandle<typeof preBackupWorkflow>(workflowId).result();
  }

  /** Status of any Sentinel run: Temporal's execution status and, when finished, its result. */
  async status(workflowId: string): Promise<{ workflowId: string; status: string; result?: unknown }> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const status = description.status.name;
    return status === 'COMPLETED' ? { workflowId, status, result: await handle.result() } : { workflowId, status };
  }

  async close(): Promise<void> {
    await this.ownedConnection?.close();
  }

  private async decide(workflowId: string, verb: 'approve' | 'reject', decision: HumanDecision): Promise<PreBackupState> {
    return this.temporal.workflow
      .getHandle<typeof preBackupWorkflow>(workflowId)
      .executeUpdate(decideUpdate, { args: [{ via: 'client', ...decision, decision: verb }] });
  }

  /**
   * Starts a workflow unless one with the same ID already ran; either way returns a reference to it. A running or
   * finished run with this ID makes the start fail (reuse policy REJECT_DUPLICATE), which becomes a reference to it.
   */
  protected async startOnce<W extends Workflow>(
    workflow: W,
    workflowId: string,
    args: Parameters<W>,
    options: Pick<WorkflowStartOptions, 'staticSummary' | 'typedSearchAttributes'>,
  ): Promise<RunRef> {
    try {
      // The SDK types `args` conditionally on W, which TypeScript cannot resolve for a generic W: hence the cast.
      const start = {
        ...options,
        taskQueue: this.taskQueue,
        workflowId,
        args,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      } as unknown as WorkflowStartOptions<W>;
      const handle = await this.temporal.workflow.start(workflow, start);
      return { workflowId, runId: handle.firstExecutionRunId, alreadyStarted: false };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const existing = await this.temporal.workflow.getHandle(workflowId).describe();
      return { workflowId, runId: existing.runId, alreadyStarted: true };
    }
  }
}
