import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import type { CapacityForecastInput, CapacityForecastResult } from '../domain/monitoring/contract.js';
import { validateCapacityForecastInput } from '../domain/monitoring/inputs.js';
import { exponentialRetry, rejectInvalidInput, sendAlertAndContinue } from './glue.js';

const forecasting = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: exponentialRetry({ initial: '5s', max: '1m', attempts: 5 }),
});

/**
 * Forecasts every target's backup storage (or `targets`) and alerts, once per target and day, when the
 * conservative days-until-full is below the horizon (`horizonDays`, else CAPACITY_ALERT_HORIZON_DAYS, else 14).
 * Started daily by the `sentinel/capacity-forecast` schedule, or by hand as `capacity-forecast/<ISO time>`.
 */
export async function capacityForecastWorkflow(input: CapacityForecastInput = {}): Promise<CapacityForecastResult> {
  rejectInvalidInput('capacity forecast input', validateCapacityForecastInput(input));
  const { workflowId } = workflowInfo();
  // One alert per target and UTC day while it stays below the horizon: a daily reminder, not one per manual re-run.
  const day = new Date().toISOString().slice(0, 10);
  const { alerts, ...summary } = await forecasting.forecastCapacity({
    ...(input?.horizonDays !== undefined ? { horizonDays: input.horizonDays } : {}),
    ...(input?.targets !== undefined ? { targets: input.targets } : {}),
  });
  const alertsSent: string[] = [];
  const alertsFailed: string[] = [];
  for (const alert of alerts) {
    const sent = await sendAlertAndContinue(
      {
        dedupeKey: `capacity:${alert.name}:${day}`,
        target: alert.target,
        workflowId,
        kind: 'capacity',
        severity: alert.severity,
        message: alert.message,
        details: alert.details,
      },
      'capacity alert could not be delivered',
      { name: alert.name },
    );
    (sent ? alertsSent : alertsFailed).push(alert.name);
  }
  setCurrentDetails(`${alerts.length} below the alert horizon, ${alertsSent.length} alert(s) sent`);
  return {
    workflowId,
    ...summary,
    alerts: alerts.map(({ name, severity, message }) => ({ name, severity, message })),
    alertsSent,
    alertsFailed,
  };
}
