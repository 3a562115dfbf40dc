import { insertAlert, markAlertDelivery, type AlertRow } from '../db/repositories/alerts.js';
import { FORMAT_ONLY_REDACTOR } from '../platform/redact.js';
import type { ActivityDeps } from './deps.js';

export type AlertInput = AlertRow;

/**
 * Stores the alert (once per dedupe key), logs it, and POSTs it to ALERT_WEBHOOK_URL when set. A webhook failure
 * throws so Temporal retries the delivery; the stored row is not duplicated by the retry.
 */
export function createAlertActivities(deps: ActivityDeps) {
  const redactor = deps.redactor ?? FORMAT_ONLY_REDACTOR;
  return {
    async sendAlert(alert: AlertInput): Promise<{ id: number; delivered: boolean }> {
      const safe = { ...alert, message: redactor.redact(alert.message) };
      const stored = await insertAlert(deps.db, safe);
      if (stored.created)
        deps.log.warn({ alertId: stored.id, kind: safe.kind, severity: safe.severity, target: safe.target, workflowId: safe.workflowId }, safe.message);
      if (!deps.alertWebhookUrl || stored.delivered) return { id: stored.id, delivered: stored.delivered };
      const response = await fetch(deps.alertWebhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: stored.id, ...safe }),
        signal: AbortSignal.timeout(10_000),
      }).catch((error: Error) => {
        throw new Error(`alert webhook unreachable: ${redactor.redact(error.message)}`);
      });
      await markAlertDelivery(deps.db, stored.id, `HTTP ${response.status}`, response.ok);
      if (!response.ok) throw new Error(`alert webhook answered HTTP ${response.status}`);
      return { id: stored.id, delivered: true };
    },
  };
}
