import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import { logContext } from '../platform/log-context.js';
import {
  activityDurationSeconds,
  anomaliesTotal,
  backupDurationSeconds,
  backupSizeBytes,
  backupsTotal,
  configItemsTotal,
  decisionsTotal,
  predictionsTotal,
} from '../platform/telemetry.js';
import type { SecretRedactor } from '../platform/redact.js';
import { redactError } from './secret-redaction.js';

/**
 * One place that observes every activity: runs it inside a log context (so log lines carry workflow and run IDs),
 * derives the product metrics from activity inputs and results, so activity code stays free of metrics calls, and
 * redacts every failure by the worker's known secrets before the SDK reports it to the server.
 */
export const observeActivities =
  (redactor: SecretRedactor): ActivityInterceptorsFactory =>
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
          recordProductMetrics(info.activityType, input.args[0], result);
          return result;
        } catch (error) {
          activityDurationSeconds.observe({ activity: info.activityType, outcome: 'failed' }, seconds());
          throw redactError(error, redactor);
        }
      },
    },
  });

type Loose = Record<string, unknown> | undefined;

export function recordProductMetrics(activityType: string, arg: unknown, result: unknown): void {
  const input = arg as Loose;
  const output = result as Loose;
  switch (activityType) {
    case 'predictBackupFailure': {
      const model = (output?.model as Loose)?.kind;
      if (typeof output?.riskLevel === 'string') predictionsTotal.inc({ risk_level: output.riskLevel, model: String(model ?? 'unknown') });
      break;
    }
    case 'recordBackupRun': {
      if (!input || (output && output.inserted === false)) break; // a retried call was counted the first time
      if (typeof input.decision === 'string') decisionsTotal.inc({ decision: input.decision });
      const backup = input.backup as Loose;
      if (backup && typeof backup.status === 'string') {
        backupsTotal.inc({ status: backup.status });
        if (typeof backup.durationSeconds === 'number') backupDurationSeconds.observe(backup.durationSeconds);
        if (typeof backup.sizeBytes === 'number') backupSizeBytes.observe(backup.sizeBytes);
      }
      break;
    }
    default: {
      // Anomaly findings and config-backup item reports are recognised by shape, whichever activity returns them.
      for (const finding of findingsIn(result)) anomaliesTotal.inc({ metric: finding.metric, severity: finding.severity });
      for (const item of configItemsIn(result)) configItemsTotal.inc({ kind: item.kind, outcome: item.status });
    }
  }
}

function findingsIn(result: unknown): Array<{ metric: string; severity: string }> {
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
