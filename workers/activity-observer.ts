import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import { logContext } from '../platform/log-context.js';
import {
  activityDurationSeconds,
  anomaliesTotal,
  backupDurationSeconds,
  backupSizeBytes,
  backupsTotal,
  baselineDurationSeconds,
  baselineSizeBytes,
  capacityDaysUntilFull,
  configItemsTotal,
  decisionsTotal,
  failureProbability,
  lastBackupDurationSeconds,
  lastBackupSizeBytes,
  predictionsTotal,
  type TargetLabels,
} from '../platform/telemetry.js';
import type { SecretRedactor } from '../platform/redact.js';
import { redactError } from './secret-redaction.js';

/**
 * One place that observes every activity: runs it inside a log context (so log lines carry workflow and run IDs),
 * derives the product metrics from activity inputs and results, so activity code stays free of metrics calls, and
 * redacts every failure by the worker's known secrets before the SDK reports it to the server.
 */
export const observeActivities =
  (redactor: SecretRedactor, labels: TargetLabels): ActivityInterceptorsFactory =>
  (ctx): ActivityInterceptors => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        const store = {
          workflowId: info.workflowExecution?.workflowId ?? '',
          runId: info.workflowExecution?.runId ?? '',
          activityType: info.activityType,
          attempt: info.attempt,
        };
        try {
          const result = await logContext.run(store, () => next(input));
          activityDurationSeconds.observe({ activity: info.activityType, outcome: 'completed' }, seconds());
          recordProductMetrics(info.activityType, input.args[0], result, labels);
          return result;
        } catch (error) {
          activityDurationSeconds.observe({ activity: info.activityType, outcome: 'failed' }, seconds());
          throw redactError(error, redactor);
        }
      },
    },
  });

type Loose = Record<string, unknown> | undefined;

function recordPrediction(target: string, prediction: Loose): void {
  const model = (prediction?.model as Loose)?.kind;
  if (typeof prediction?.riskLevel === 'string') predictionsTotal.inc({ target, risk_level: prediction.riskLevel, model: String(model ?? 'unknown') });
  if (typeof prediction?.failureProbability === 'number') failureProbability.set({ target }, prediction.failureProbability);
}

export function recordProductMetrics(activityType: string, arg: unknown, result: unknown, labels: TargetLabels): void {
  const input = arg as Loose;
  const output = result as Loose;
  switch (activityType) {
    case 'predictBackupFailure':
      recordPrediction(labels.label(input?.target), output);
      break;
    case 'resolveGateAndPredict':
      recordPrediction(labels.label(input?.target), output?.prediction as Loose);
      break;
    case 'recordBackupRun': {
      if (!input || (output && output.inserted === false)) break; // a retried call was counted the first time
      const target = labels.label(input.target);
      if (typeof input.decision === 'string') decisionsTotal.inc({ target, decision: input.decision });
      const backup = input.backup as Loose;
      if (backup && typeof backup.status === 'string') {
        backupsTotal.inc({ target, status: backup.status });
        if (typeof backup.durationSeconds === 'number') backupDurationSeconds.observe({ target }, backup.durationSeconds);
        if (typeof backup.sizeBytes === 'number') backupSizeBytes.observe({ target }, backup.sizeBytes);
      }
      break;
    }
    case 'checkRunAnomalies': {
      const target = labels.label(output?.target ?? input?.target);
      for (const finding of findingsIn(result)) anomaliesTotal.inc({ target, metric: finding.metric, severity: finding.severity });
      for (const finding of scoredMetrics(result)) {
        const [last, baseline] =
          finding.metric === 'durationSeconds' ? [lastBackupDurationSeconds, baselineDurationSeconds] : [lastBackupSizeBytes, baselineSizeBytes];
        last.set({ target }, finding.value);
        for (const bound of ['median', 'lower', 'upper'] as const) baseline.set({ target, bound }, finding.expected[bound]);
      }
      break;
    }
    case 'forecastCapacity': {
      for (const entry of capacityEntries(result)) capacityDaysUntilFull.set({ target: labels.label(entry.name) }, entry.days);
      break;
    }
    default: {
      // Anomaly findings (the hourly scan's, per target) and config-backup item reports are recognised by shape.
      for (const finding of findingsIn(result))
        anomaliesTotal.inc({ target: labels.label(finding.target ?? input?.target), metric: finding.metric, severity: finding.severity });
      for (const item of configItemsIn(result)) configItemsTotal.inc({ kind: item.kind, outcome: item.status });
    }
  }
}

/** The run check's scored metrics (duration, size) with their expected median and bounds of normal. */
function scoredMetrics(result: unknown): Array<{ metric: string; value: number; expected: { median: number; lower: number; upper: number } }> {
  const findings = (result as Loose)?.findings;
  if (!Array.isArray(findings)) return [];
  return findings.filter((f) => {
    const e = (f as Loose)?.expected as Loose;
    return (
      ((f as Loose)?.metric === 'durationSeconds' || (f as Loose)?.metric === 'sizeBytes') &&
      typeof (f as Loose)?.value === 'number' &&
      typeof e?.median === 'number' &&
      typeof e?.lower === 'number' &&
      typeof e?.upper === 'number'
    );
  });
}

/** Per-target conservative days until full from a capacity forecast (`entries` of kind target). */
function capacityEntries(result: unknown): Array<{ name: string; days: number }> {
  const entries = (result as Loose)?.entries;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((e) => {
    const entry = e as Loose;
    const days = (entry?.daysUntilFull as Loose)?.conservative;
    return entry?.kind === 'target' && typeof entry.name === 'string' && typeof days === 'number' ? [{ name: entry.name, days }] : [];
  });
}

function findingsIn(result: unknown): Array<{ metric: string; severity: string; target?: string }> {
  const list = Array.isArray(result) ? result : Array.isArray((result as Loose)?.findings) ? ((result as Loose)!.findings as unknown[]) : [];
  return list.filter(
    (f): f is { metric: string; severity: string; isAnomaly: boolean } =>
      typeof (f as Loose)?.metric === 'string' && typeof (f as Loose)?.severity === 'string' && (f as Loose)?.isAnomaly === true,
  );
}

/** Config-backup batch outcomes: `{ items: [{ type: 'env' | 'file' | 'app', status, ... }] }`. */
function configItemsIn(result: unknown): Array<{ kind: string; status: string }> {
  const items = (result as Loose)?.items;
  if (!Array.isArray(items)) return [];
  return items
    .filter((i): i is { type: string; status: string } => typeof (i as Loose)?.type === 'string' && typeof (i as Loose)?.status === 'string')
    .map((i) => ({ kind: i.type, status: i.status }));
}
