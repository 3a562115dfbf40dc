import {
  ActivityFailure,
  ChildWorkflowFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import type { AlertInput } from '../activities/alerts.js';
import {
  approverRefusal,
  predictionRequestFor,
  validatePreBackupInput,
  type ApprovalEntry,
  type BackupResult,
  type GateDecision,
  type HumanDecision,
  type PreBackupInput,
  type PreBackupResult,
  type PreBackupState,
  type ResolvedGate,
} from '../domain/pre-backup/contract.js';
import { describeGate } from '../domain/pre-backup/describe.js';
import { isHighRisk } from '../domain/risk/levels.js';
import type { Prediction } from '../domain/risk/prediction.js';
import { alertNewIncidents, exponentialRetry, rejectInvalidInput, rootMessage, sendAlertAndContinue, stepRetry } from './glue.js';
import { BackupDecision, BackupTarget, FailureProbability, FailureRisk } from './search-attributes.js';

export const stateQuery = defineQuery<PreBackupState>('state');
export const approveSignal = defineSignal<[HumanDecision]>('approve');
export const rejectSignal = defineSignal<[HumanDecision]>('reject');
/** Update form of approve/reject: the caller learns at once whether the decision was accepted. */
export const decideUpdate = defineUpdate<PreBackupState, [HumanDecision & { decision: 'approve' | 'reject' }]>('decide');

const quick = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '30s',
  retry: stepRetry(),
});
// Resolving the gate and predicting are short reads (config file, recent history, a cached model), so they run as
// local activities: the decision can then be taken within the workflow's first task instead of after two round
// trips through the server per activity (see BENCHMARKS.md).
const gateReads = proxyLocalActivities<SentinelActivities>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: stepRetry(),
});

export async function preBackupWorkflow(input: PreBackupInput): Promise<PreBackupResult> {
  rejectInvalidInput('pre-backup input', validatePreBackupInput(input));

  const { workflowId, runId } = workflowInfo();
  const gateStartedAt = new Date().toISOString();
  const state: PreBackupState = {
    phase: 'predicting',
    target: input.target,
    prediction: null,
    predictions: 0,
    decision: null,
    delays: 0,
    escalated: false,
    approval: null,
    backup: null,
    anomalies: [],
    anomalyCheck: null,
  };
  // Held in an object so the type checker does not narrow it to null across the await below.
  const human: { pending: PreBackupResult['approval'] | null } = { pending: null };
  // Who may decide: known once the gate is resolved (before that no decision is accepted anyway). Histories from
  // before the approvers list have no such field in their resolved gate, so they replay as before: anyone.
  const access: { target: string; approvers: string[] | undefined } = { target: input.target, approvers: undefined };
  // The approval audit (patch 'approval-audit'): each approve/reject that arrives, accepted or not, in order.
  const audit: { entries: ApprovalEntry[]; recorded: number } = { entries: [], recorded: 0 };
  const note = (decision: 'approve' | 'reject', by: HumanDecision, transport: ApprovalEntry['transport'], outcome: ApprovalEntry['outcome'], why?: string) => {
    audit.entries.push({
      seq: audit.entries.length + 1,
      decision,
      by: by.by || 'unknown',
      ...(by.reason ? { reason: by.reason } : {}),
      transport,
      via: by.via || 'api',
      outcome,
      ...(why ? { note: why } : {}),
      at: new Date().toISOString(),
    });
  };
  const acceptDecision = (decision: 'approved' | 'rejected', by: HumanDecision) => {
    if (state.phase !== 'awaiting-approval' || human.pending) return false;
    human.pending = { decision, by: by.by || 'unknown', ...(by.reason ? { reason: by.reason } : {}) };
    state.approval = human.pending;
    return true;
  };
  /** A signal's decision: refused when `by` is not an approver, ignored when not awaiting one; recorded either way. */
  const onSignal = (decision: 'approve' | 'reject', by: HumanDecision) => {
    const refusal = approverRefusal(access.target, access.approvers, by.by);
    if (refusal && state.phase === 'awaiting-approval' && !human.pending) {
      log.warn(`${decision} signal refused: ${refusal}`);
      note(decision, by, 'signal', 'refused', refusal);
      return;
    }
    if (acceptDecision(decision === 'approve' ? 'approved' : 'rejected', by)) note(decision, by, 'signal', 'accepted');
    else {
      log.warn(`${decision} signal ignored: not awaiting approval`);
      note(
        decision,
        by,
        'signal',
        'ignored',
        human.pending ? `already ${human.pending.decision} by ${human.pending.by}` : `not awaiting approval (phase: ${state.phase})`,
      );
    }
  };
  setHandler(stateQuery, () => state);
  setHandler(approveSignal, (by) => onSignal('approve', by));
  setHandler(rejectSignal, (by) => onSignal('reject', by));
  setHandler(
    decideUpdate,
    async (request) => {
      if (acceptDecision(request.decision === 'approve' ? 'approved' : 'rejected', request)) note(request.decision, request, 'update', 'accepted');
      return state;
    },
    {
      // A refused update never reaches the history: the caller gets the reason at once.
      validator: (request) => {
        if (request.decision !== 'approve' && request.decision !== 'reject') throw new Error('decision must be "approve" or "reject"');
        if (state.phase !== 'awaiting-approval') throw new Error(`not awaiting approval (phase: ${state.phase})`);
        if (human.pending) throw new Error(`a decision was already made: ${human.pending.decision} by ${human.pending.by}`);
        const refusal = approverRefusal(access.target, access.approvers, request.by);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  /** Stores the audit entries not yet stored (after the decision, and again at the end for late ones). */
  const recordApprovals = async () => {
    if (audit.entries.length === audit.recorded || !patched('approval-audit')) return;
    const entries = audit.entries.slice(audit.recorded);
    audit.recorded = audit.entries.length;
    await quick.recordApprovals({ workflowId, runId, target: access.target, entries });
  };
  upsertSearchAttributes([
    { key: BackupTarget, value: input.target },
    { key: BackupDecision, value: 'pending' },
  ]);

  // Since patch 'gate-one-read' the gate's settings and its first prediction come from one local activity (one
  // local-activity round less before the decision); histories recorded before it replay the two-activity path.
  let gate: ResolvedGate;
  let firstPrediction: Prediction | null = null;
  if (patched('gate-one-read')) {
    const opened = await gateReads.resolveGateAndPredict({ ...input, startAt: new Date().toISOString() });
    gate = opened.gate;
    firstPrediction = opened.prediction;
  } else {
    gate = await gateReads.resolveGate(input);
  }
  access.target = gate.target;
  access.approvers = gate.approvers;
  // Shown in the Web UI's details (describeGate); no command, so histories recorded before it replay unchanged.
  if (gate.freshness) state.freshness = gate.freshness;
  // An alert that cannot be delivered must not hold up the gate: a few tries, then the workflow moves on.
  const alert = async (kind: string, severity: AlertInput['severity'], message: string, details: Record<string, unknown>) => {
    await sendAlertAndContinue(
      { dedupeKey: `${workflowId}#${runId}:${kind}:${state.predictions}`, target: gate.target, workflowId, kind, severity, message, details },
      'alert could not be delivered',
      { kind },
    );
  };

  let decision: GateDecision;
  let skipReason: string | undefined;
  for (;;) {
    state.phase = 'predicting';
    setCurrentDetails(describeGate(state));
    const prediction = firstPrediction ?? (await predict(gate, input.context));
    firstPrediction = null;
    state.prediction = prediction;
    state.predictions += 1;
    setCurrentDetails(describeGate(state));
    upsertSearchAttributes([
      { key: FailureRisk, value: prediction.riskLevel },
      { key: FailureProbability, value: prediction.failureProbability },
    ]);
    if (!isHighRisk(prediction.failureProbability, gate.threshold)) {
      decision = 'proceed';
      break;
    }
    state.phase = 'alerting';
    setCurrentDetails(describeGate(state));
    const canDelay = gate.policy === 'delay' && state.delays < gate.maxDelays;
    await alert(
      'preventive',
      prediction.riskLevel === 'critical' ? 'critical' : 'warning',
      `${gate.target}: failure risk ${prediction.riskLevel} (${prediction.failureProbability}) above threshold ${gate.threshold}; ${canDelay ? `delaying ${gate.delayMinutes} min` : 'awaiting approval'}`,
      { probability: prediction.failureProbability, riskFactors: prediction.riskFactors, recommendedActions: prediction.recommendedActions },
    );
    if (canDelay) {
      state.phase = 'delaying';
      setCurrentDetails(describeGate(state));
      upsertSearchAttributes([{ key: BackupDecision, value: 'delayed' }]);
      await sleep(gate.delayMinutes * 60_000);
      state.delays += 1;
      continue;
    }
    if (gate.policy === 'delay') {
      state.escalated = true;
      await alert('escalation', 'critical', `${gate.target}: still high risk after ${state.delays} delay(s); escalated to manual approval`, {
        delays: state.delays,
      });
    }
    state.phase = 'awaiting-approval';
    setCurrentDetails(describeGate(state));
    upsertSearchAttributes([{ key: BackupDecision, value: 'awaiting-approval' }]);
    const decided = await condition(() => human.pending !== null, gate.approvalTimeoutMs);
    if (decided && human.pending) {
      state.approval = human.pending;
      decision = human.pending.decision;
      if (decision === 'rejected') skipReason = `rejected by ${state.approval.by}${state.approval.reason ? `: ${state.approval.reason}` : ''}`;
    } else {
      decision = 'skipped';
      skipReason = `no decision within ${Math.round(gate.approvalTimeoutMs / 1000)} s`;
      await alert('approval-timeout', 'critical', `${gate.target}: approval timed out; backup skipped`, { approvalTimeoutMs: gate.approvalTimeoutMs });
    }
    await recordApprovals();
    break;
  }
  state.decision = decision;
  upsertSearchAttributes([{ key: BackupDecision, value: decision }]);
  const prediction = state.prediction as Prediction;

  if (decision === 'proceed' || decision === 'approved') {
    state.phase = 'backing-up';
    setCurrentDetails(describeGate(state));
    state.backup = await runBackup(gate, workflowId, runId);
  }

  state.phase = 'recording';

  setCurrentDetails(describeGate(state));
  const recorded = await quick.recordBackupRun({
    workflowId,
    runId,
    target: gate.target,
    decision,
    prediction,
    backup: state.backup,
    skipReason,
    gateStartedAt,
    estimatedDurationSeconds: gate.estimatedDurationSeconds,
    estimatedSizeBytes: gate.estimatedSizeBytes,
    databaseSizeGb: gate.databaseSizeGb,
    freeSpaceGb: gate.freeSpaceGb,
  });
  if (state.backup?.status === 'completed') {
    // Robust, seasonal, point-in-time check; alerts go out once per incident (a run that continues an open
    // incident returns none), with the incident as dedupe key so a retry or a concurrent scan cannot double it.
    const { findings, alerts, ...check } = await quick.checkRunAnomalies({
      target: gate.target,
      backupId: recorded.backupId,
      startedAt: state.backup.startedAt,
      durationSeconds: state.backup.durationSeconds,
      sizeBytes: state.backup.sizeBytes,
    });
    state.anomalies = findings;
    state.anomalyCheck = { ...check, alertsSent: [] };
    state.anomalyCheck.alertsSent = (await alertNewIncidents(alerts, workflowId)).sent;
  } else if (state.backup?.status === 'failed') {
    await alert('backup-failed', 'critical', `${gate.target}: backup failed: ${state.backup.error ?? 'unknown error'}`, {});
  }
  await recordApprovals();
  state.phase = 'done';
  setCurrentDetails(describeGate(state));
  return {
    decision,
    prediction,
    delays: state.delays,
    backup: state.backup,
    anomalies: state.anomalies,
    anomalyCheck: state.anomalyCheck,
    approval: state.approval ?? undefined,
    skipReason,
  };
}

function predict(gate: ResolvedGate, context: PreBackupInput['context']): Promise<Prediction> {
  return gateReads.predictBackupFailure(predictionRequestFor(gate, context, new Date().toISOString()));
}

/** Runs the real backup; a failure is returned as a failed result so it is recorded, never lost. */
async function runBackup(gate: ResolvedGate, workflowId: string, runId: string): Promise<BackupResult> {
  const startedAt = new Date();
  try {
    if (gate.kind === 'workflow' && gate.childWorkflow) {
      const child = await executeChild<(arg: { target: string; parentWorkflowId: string }) => Promise<{ sizeBytes?: number } | undefined>>(
        gate.childWorkflow.type,
        {
          taskQueue: gate.childWorkflow.taskQueue,
          workflowId: `${workflowId}/backup`,
          args: [{ target: gate.target, parentWorkflowId: workflowId }],
          workflowExecutionTimeout: gate.timeoutSeconds * 1000,
        },
      );
      return {
        status: 'completed',
        startedAt: startedAt.toISOString(),
        durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
        sizeBytes: typeof child?.sizeBytes === 'number' ? child.sizeBytes : null,
      };
    }
    const activities = proxyActivities<SentinelActivities>({
      startToCloseTimeout: (gate.timeoutSeconds + 60) * 1000,
      heartbeatTimeout: '60s',
      retry: exponentialRetry({ initial: '10s', attempts: 2 }),
    });
    return await activities.runBackup({ target: gate.target, artifactName: artifactName(workflowId, runId) });
  } catch (error) {
    if (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure)
      return {
        status: 'failed',
        startedAt: startedAt.toISOString(),
        durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
        sizeBytes: null,
        error: rootMessage(error),
      };
    throw error;
  }
}

function artifactName(workflowId: string, runId: string): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}_${runId}`;
}
