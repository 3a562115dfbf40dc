/**
 * Raising and resolving alerts: the `alerts` row (once per dedupe key), the log line, and the delivery of the event
 * to the channels its routes pick (docs/alerts.md). Shared by the sendAlert activity and the activities that learn
 * an incident ended (recordBackupRun, the anomaly checks); `resolveAlert` is the entry point for any other.
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import { channelsReachedBy, claimDelivery, deliveriesOf, type DeliveryRow } from '../../db/repositories/alert-deliveries.js';
import { insertAlert, listAlerts, markAlertDelivery, markIncidentResolved, type AlertRow, type StoredAlert } from '../../db/repositories/alerts.js';
import { incidentKeyOf } from '../../domain/alerts/incident.js';
import type { AlertEvent } from '../../domain/alerts/payloads.js';
import { channelsFor } from '../../domain/alerts/routing.js';
import type { SentinelSettings } from '../../domain/settings/schema.js';
import { usableAlertChannels, type AlertRouting } from './channels.js';
import { deliverToChannels, type DeliveryOutcome } from './deliver.js';

/** What raising and resolving alerts needs; the worker's ActivityDeps provide it. */
export interface AlertingDeps {
  db: pg.Pool;
  log: Logger;
  loadSettings: () => Promise<SentinelSettings>;
  /** ALERT_WEBHOOK_URL as the host read it (the implicit webhook channel). */
  alertWebhookUrl?: string | undefined;
  /** The Temporal Web UI for run links (SENTINEL_UI_URL, or the local service's). */
  webUi?: { url: string; namespace: string } | undefined;
  redact: (text: string) => string;
  /** Learns channel secrets (the worker's redactor), so no error or log line can show them. */
  learnSecrets?: (values: string[]) => void;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface DeliveryWindow {
  /** Epoch ms by which delivery must be over. */
  deadline: number;
  progress?: (outcome: DeliveryOutcome) => void;
}

async function routingOf(deps: AlertingDeps): Promise<AlertRouting> {
  const settings = await deps.loadSettings();
  const env = { ...(deps.env ?? process.env), ALERT_WEBHOOK_URL: deps.alertWebhookUrl };
  const { problems, ...routing } = usableAlertChannels(settings, env);
  // The worker refused to start with these; they can only come from an edit since: the other channels still work.
  if (problems.length > 0) deps.log.error({ problems }, 'alert channels skipped: sentinel.yaml changed since the worker started');
  deps.learnSecrets?.(routing.channels.flatMap((c) => [c.kind === 'pagerduty' ? '' : c.url, c.secret ?? '', c.routingKey ?? '']).filter(Boolean));
  return routing;
}

export function runUrl(webUi: AlertingDeps['webUi'], workflowId: string | null): string | undefined {
  if (!webUi || !workflowId) return undefined;
  return `${webUi.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(webUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function eventOf(deps: AlertingDeps, alert: StoredAlert, action: AlertEvent['action']): AlertEvent {
  return {
    action,
    id: alert.id,
    dedupeKey: alert.dedupeKey,
    incidentKey: alert.incidentKey,
    target: alert.target,
    workflowId: alert.workflowId,
    kind: alert.kind,
    severity: alert.severity,
    message: alert.message,
    details: alert.details,
    createdAt: alert.createdAt.toISOString(),
    ...(action === 'resolve' ? { resolution: alert.resolution ?? undefined, resolvedAt: alert.resolvedAt?.toISOString() } : {}),
    runUrl: runUrl(deps.webUi, alert.workflowId),
  };
}

const summary = (outcomes: readonly DeliveryOutcome[]) =>
  outcomes.map((o) => `${o.channel}: ${o.status}${o.httpStatus ? ` (HTTP ${o.httpStatus})` : ''}`).join('; ');

/**
 * Stores the alert (once per dedupe key), logs it when new, and delivers it to its channels. An alert whose incident
 * is already resolved is stored but not sent: a trigger after its resolve would reopen the page for nothing.
 */
export async function raiseAlert(
  deps: AlertingDeps,
  input: AlertRow,
  window: DeliveryWindow,
): Promise<{ id: number; created: boolean; delivered: boolean; deliveries: DeliveryOutcome[] }> {
  const safe = { ...input, message: deps.redact(input.message) };
  const { alert, created } = await insertAlert(deps.db, safe, incidentKeyOf(safe));
  if (created)
    deps.log.warn({ alertId: alert.id, kind: alert.kind, severity: alert.severity, target: alert.target, workflowId: alert.workflowId }, alert.message);
  const routing = await routingOf(deps);
  if (alert.resolvedAt) {
    deps.log.info({ alertId: alert.id, incidentKey: alert.incidentKey }, 'alert not sent: its incident is already resolved');
    return { id: alert.id, created, delivered: false, deliveries: [] };
  }
  const channels = channelsFor(alert, routing.channels, routing.routes);
  const deliveries = await deliverToChannels(
    { db: deps.db, deadline: window.deadline, redact: deps.redact, ...(window.progress ? { progress: window.progress } : {}) },
    { alertId: alert.id, dedupe: alert.dedupeKey, incidentKey: alert.incidentKey, action: 'trigger', event: eventOf(deps, alert, 'trigger') },
    channels,
  );
  const delivered = deliveries.some((d) => d.status === 'delivered');
  if (deliveries.length > 0) await markAlertDelivery(deps.db, alert.id, summary(deliveries), delivered);
  for (const d of deliveries.filter((d) => d.status === 'rejected' || d.status === 'failed'))
    deps.log.error(
      { alertId: alert.id, channel: d.channel, status: d.status, httpStatus: d.httpStatus, attempts: d.attempts, error: d.error },
      'alert not delivered',
    );
  return { id: alert.id, created, delivered, deliveries };
}

/**
 * Ends an incident: its alerts are marked resolved (the first resolution is kept) and a resolve goes to every
 * channel a trigger of it reached, once per channel however often this is called. Safe to call for a key that has
 * no alerts (nothing happens) and to call again after a crash (unfinished deliveries continue). For other
 * capabilities that know when their incident ends (stale-backup incidents): call it with the incident key the
 * alert's dedupe key gave (domain/alerts/incident.ts).
 */
export async function resolveAlert(
  deps: AlertingDeps,
  incidentKey: string,
  resolution: string,
  window: DeliveryWindow,
): Promise<{ resolved: boolean; deliveries: DeliveryOutcome[] }> {
  const reached = await channelsReachedBy(deps.db, incidentKey);
  const routing = reached.length > 0 ? await routingOf(deps) : { channels: [], routes: [] };
  const channels = routing.channels.filter((c) => reached.includes(c.name));
  const gone = reached.filter((name) => !channels.some((c) => c.name === name));
  // The resolve rows first, then the mark: a crash between them leaves the alert open, found again by the caller.
  const first = await markIncidentResolved(deps.db, incidentKey, resolution, async (alertId) => {
    for (const channel of channels)
      await claimDelivery(deps.db, {
        alertId,
        dedupe: `resolve:${incidentKey}`,
        incidentKey,
        action: 'resolve',
        channel: channel.name,
        channelKind: channel.kind,
      });
  });
  if (!first) return { resolved: false, deliveries: [] };
  if (gone.length > 0) deps.log.warn({ incidentKey, channels: gone }, 'resolve not sent to channels no longer configured');
  const deliveries = await deliverToChannels(
    { db: deps.db, deadline: window.deadline, redact: deps.redact, ...(window.progress ? { progress: window.progress } : {}) },
    { alertId: first.id, dedupe: `resolve:${incidentKey}`, incidentKey, action: 'resolve', event: eventOf(deps, first, 'resolve') },
    channels,
  );
  deps.log.info({ incidentKey, resolution: first.resolution, deliveries: summary(deliveries) }, 'alert resolved');
  return { resolved: true, deliveries };
}

/**
 * Resolves several incidents one after another within one window; one that fails (a database error) is logged and
 * the others still go, so resolving never fails the activity that found them ended.
 */
export async function resolveAlertsQuietly(
  deps: AlertingDeps,
  incidents: ReadonlyArray<{ incidentKey: string; resolution: string }>,
  window: DeliveryWindow,
): Promise<number> {
  let resolved = 0;
  for (const { incidentKey, resolution } of incidents) {
    try {
      if ((await resolveAlert(deps, incidentKey, resolution, window)).resolved) resolved += 1;
    } catch (error) {
      deps.log.error({ incidentKey, error: deps.redact(error instanceof Error ? error.message : String(error)) }, 'alert resolve failed');
    }
  }
  return resolved;
}

export interface ListedAlert {
  id: number;
  dedupeKey: string;
  incidentKey: string;
  target: string | null;
  workflowId: string | null;
  kind: string;
  severity: string;
  message: string;
  createdAt: string;
  open: boolean;
  resolvedAt: string | null;
  resolution: string | null;
  deliveries: Array<{
    channel: string;
    kind: string;
    action: string;
    status: string;
    httpStatus: number | null;
    attempts: number;
    lastError: string | null;
    lastAttemptAt: string | null;
    deliveredAt: string | null;
  }>;
}

/** `sentinel alerts list`: alerts (oldest first) with every delivery of each. */
export async function listAlertsWithDeliveries(db: pg.Pool, filter: { target?: string | undefined; open?: boolean }): Promise<ListedAlert[]> {
  const alerts = await listAlerts(db, filter);
  const byAlert = new Map<number, DeliveryRow[]>();
  for (const d of await deliveriesOf(
    db,
    alerts.map((a) => a.id),
  ))
    byAlert.set(d.alertId, [...(byAlert.get(d.alertId) ?? []), d]);
  return alerts.map((a) => ({
    id: a.id,
    dedupeKey: a.dedupeKey,
    incidentKey: a.incidentKey,
    target: a.target,
    workflowId: a.workflowId,
    kind: a.kind,
    severity: a.severity,
    message: a.message,
    createdAt: a.createdAt.toISOString(),
    open: a.resolvedAt === null,
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
    resolution: a.resolution,
    deliveries: (byAlert.get(a.id) ?? []).map((d) => ({
      channel: d.channel,
      kind: d.channelKind,
      action: d.action,
      status: d.status,
      httpStatus: d.httpStatus,
      attempts: d.attempts,
      lastError: d.lastError,
      lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
    })),
  }));
}
