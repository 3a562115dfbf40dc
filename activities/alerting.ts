import { Context } from '@temporalio/activity';
import type { AlertingDeps, DeliveryWindow } from '../capabilities/alerts/service.js';
import { FORMAT_ONLY_REDACTOR } from '../platform/redact.js';
import type { ActivityDeps } from './deps.js';
import { heartbeat } from './heartbeat.js';

/** Left of an activity's start-to-close time for its own database writes after the last delivery attempt. */
const MARGIN_MS = 5_000;
/** The most any activity spends delivering one alert event (the sendAlert proxy allows 30 s per attempt). */
export const MAX_DELIVERY_MS = 25_000;

/** The alerting part of the worker's dependencies (capabilities/alerts/service.ts). */
export function alertingDeps(deps: ActivityDeps): AlertingDeps {
  const redactor = deps.redactor ?? FORMAT_ONLY_REDACTOR;
  return {
    db: deps.db,
    log: deps.log,
    loadSettings: deps.loadSettings,
    alertWebhookUrl: deps.alertWebhookUrl,
    webUi: deps.webUi,
    redact: (text) => redactor.redact(text),
    // The shared format-only redactor must not collect one worker's secrets.
    ...(deps.redactor ? { learnSecrets: (values: string[]) => deps.redactor?.learn(values) } : {}),
  };
}

/**
 * How long delivery may take inside the current activity: up to its start-to-close timeout less a margin (measured
 * from when the attempt was scheduled, which is no later than its start), at most `maxMs` (<= MAX_DELIVERY_MS); heartbeats after
 * every HTTP attempt. Outside an activity (a test, the CLI): MAX_DELIVERY_MS from now.
 */
export function deliveryWindow(maxMs = MAX_DELIVERY_MS): DeliveryWindow {
  let deadline = Date.now() + Math.min(maxMs, MAX_DELIVERY_MS);
  try {
    const info = Context.current().info;
    deadline = Math.min(deadline, info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs - MARGIN_MS);
  } catch {
    // not in an activity
  }
  return { deadline, progress: (outcome) => heartbeat({ channel: outcome.channel, status: outcome.status, attempts: outcome.attempts }) };
}
