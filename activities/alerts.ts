import type { AlertRow } from '../db/repositories/alerts.js';
import { raiseAlert } from '../capabilities/alerts/service.js';
import type { ActivityDeps } from './deps.js';
import { alertingDeps, deliveryWindow } from './alerting.js';

export type AlertInput = AlertRow;

export interface SendAlertResult {
  id: number;
  /** Whether at least one channel took it. */
  delivered: boolean;
  deliveries: Array<{ channel: string; status: string; httpStatus: number | null; attempts: number }>;
}

/**
 * Stores the alert (once per dedupe key), logs it, and delivers it to the channels its routes pick (sentinel.yaml's
 * `alerts`, and ALERT_WEBHOOK_URL): each channel in parallel with its own timeout and retries, every attempt
 * recorded in `alert_deliveries` (docs/alerts.md). A channel that refuses or fails is recorded and does not fail the
 * activity, so no channel holds up another or the workflow; the activity fails (and is retried, continuing where the
 * rows say) only when its own bookkeeping does or sentinel.yaml cannot be read.
 * The workflows call it as before, so their commands, and the recorded histories, are unchanged.
 */
export function createAlertActivities(deps: ActivityDeps) {
  const alerting = alertingDeps(deps);
  return {
    async sendAlert(alert: AlertInput): Promise<SendAlertResult> {
      const result = await raiseAlert(alerting, alert, deliveryWindow());
      return {
        id: result.id,
        delivered: result.delivered,
        deliveries: result.deliveries.map((d) => ({ channel: d.channel, status: d.status, httpStatus: d.httpStatus, attempts: d.attempts })),
      };
    },
  };
}
