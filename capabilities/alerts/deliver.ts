/**
 * Delivery of one alert event to its channels: every channel independently and in parallel, each with its own
 * per-attempt timeout and a few attempts inside one overall deadline, every attempt recorded in `alert_deliveries`.
 * A 2xx is delivered; a 4xx (but 408 and 429, which ask to try later) is rejected and never retried, since the same
 * request will be refused again; a 5xx, a timeout or an unreachable endpoint is retried, then recorded as failed.
 * One channel's failure is only its own row: the others and the caller go on. The loop is written here rather than
 * taken from a retry library because each attempt's outcome must be stored before the next one starts, so a
 * retried activity (a killed worker) continues the count instead of starting over, and a delivered row is never
 * sent again.
 */
import type pg from 'pg';
import {
  claimDelivery,
  finishDelivery,
  leaseDelivery,
  recordAttempt,
  type DeliveryAction,
  type DeliveryStatus,
} from '../../db/repositories/alert-deliveries.js';
import { pagerdutyEvent, slackMessage, webhookBody, type AlertEvent } from '../../domain/alerts/payloads.js';
import type { ResolvedChannel } from './channels.js';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature.js';

/** Less time than this left before the deadline: no new attempt is started. */
const MIN_ATTEMPT_MS = 500;
/** Backoff between attempts of one channel: 1 s, 2 s, 4 s (cut to what the deadline leaves). */
const BACKOFF_MS = 1000;
/** The part of an error response kept for the record (Slack and PagerDuty explain a 400 in the body). */
const RESPONSE_EXCERPT = 300;
export const DELIVERY_HEADER = 'X-Sentinel-Delivery';
/** A lease outlives the deadline by this much (seconds): the last attempt's bookkeeping fits in it. */
const LEASE_SLACK_S = 2;
/** How often a delivery held by another activity is looked at again. */
const LEASE_POLL_MS = 500;

export interface DeliveryOutcome {
  channel: string;
  kind: ResolvedChannel['kind'];
  status: DeliveryStatus;
  httpStatus: number | null;
  attempts: number;
  error: string | null;
}

export interface DeliveryContext {
  db: pg.Pool;
  /** Epoch ms by which every channel must be done (the hosting activity's time less a margin). */
  deadline: number;
  redact: (text: string) => string;
  /** Called after every attempt (the activity heartbeats). */
  progress?: (outcome: DeliveryOutcome) => void;
}

export interface DeliveryRequest {
  alertId: number;
  /** Unique per event: the alert's dedupe key, or `resolve:<incident key>`. */
  dedupe: string;
  incidentKey: string;
  action: DeliveryAction;
  event: AlertEvent;
}

/**
 * Delivers to each channel; resolves when all are done. A channel whose bookkeeping failed (database gone) makes it
 * reject after the others finished, so the activity is retried and continues where the rows say.
 */
export async function deliverToChannels(ctx: DeliveryContext, request: DeliveryRequest, channels: readonly ResolvedChannel[]): Promise<DeliveryOutcome[]> {
  const settled = await Promise.allSettled(channels.map((channel) => deliverToChannel(ctx, request, channel)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<DeliveryOutcome>).value);
}

async function deliverToChannel(ctx: DeliveryContext, request: DeliveryRequest, channel: ResolvedChannel): Promise<DeliveryOutcome> {
  const claimed = await claimDelivery(ctx.db, {
    alertId: request.alertId,
    dedupe: request.dedupe,
    incidentKey: request.incidentKey,
    action: request.action,
    channel: channel.name,
    channelKind: channel.kind,
  });
  const outcomeOf = (row: typeof claimed): DeliveryOutcome => ({
    channel: channel.name,
    kind: channel.kind,
    status: row.status,
    httpStatus: row.httpStatus,
    attempts: row.attempts,
    error: row.lastError,
  });
  if (claimed.status !== 'pending') return outcomeOf(claimed); // done by an earlier activity attempt: never sent twice
  // Held until just after this activity's deadline: a concurrent delivery of the same event waits its turn (and
  // finds it done), and a killed worker's hold has lapsed by the time its activity is retried.
  let row = await leaseDelivery(ctx.db, claimed.id, Math.max(1, (ctx.deadline - Date.now()) / 1000 + LEASE_SLACK_S));
  while (!row) {
    // Another activity holds it (a concurrent resolve, or an attempt that failed or died): wait for it to finish or
    // for its lease to lapse, within this delivery's own deadline.
    if (Date.now() + LEASE_POLL_MS > ctx.deadline - MIN_ATTEMPT_MS) return outcomeOf(claimed);
    await sleep(LEASE_POLL_MS);
    const current = await claimDelivery(ctx.db, {
      alertId: request.alertId,
      dedupe: request.dedupe,
      incidentKey: request.incidentKey,
      action: request.action,
      channel: channel.name,
      channelKind: channel.kind,
    });
    if (current.status !== 'pending') return outcomeOf(current);
    row = await leaseDelivery(ctx.db, claimed.id, Math.max(1, (ctx.deadline - Date.now()) / 1000 + LEASE_SLACK_S));
  }
  const outcome = outcomeOf(row);
  while (outcome.attempts < channel.maxAttempts) {
    const remaining = ctx.deadline - Date.now();
    if (remaining < MIN_ATTEMPT_MS) break;
    const result = await post(channel, request, Math.min(channel.timeoutMs, remaining), ctx.redact);
    outcome.attempts += 1;
    outcome.httpStatus = result.httpStatus;
    outcome.error = result.error;
    const last = outcome.attempts >= channel.maxAttempts;
    outcome.status = result.verdict === 'retry' ? (last ? 'failed' : 'pending') : result.verdict;
    await recordAttempt(ctx.db, row.id, { status: outcome.status, httpStatus: result.httpStatus, error: result.error });
    ctx.progress?.(outcome);
    if (outcome.status !== 'pending') return outcome;
    await sleep(Math.min(BACKOFF_MS * 2 ** (outcome.attempts - 1), Math.max(0, ctx.deadline - Date.now() - MIN_ATTEMPT_MS)));
  }
  // Attempts used up by earlier activity attempts, or no time left for another one.
  outcome.status = 'failed';
  outcome.error = outcome.error ?? 'no time left to deliver within the activity';
  await finishDelivery(ctx.db, row.id, 'failed');
  return outcome;
}

interface PostResult {
  verdict: 'delivered' | 'rejected' | 'retry';
  httpStatus: number | null;
  error: string | null;
}

/** One HTTP attempt. Errors name the channel's kind and what happened, never its URL (which may be the secret). */
async function post(channel: ResolvedChannel, request: DeliveryRequest, timeoutMs: number, redact: (text: string) => string): Promise<PostResult> {
  const { body, headers } = requestFor(channel, request);
  let response: Response;
  try {
    response = await fetch(channel.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return { verdict: 'retry', httpStatus: null, error: redact(networkError(error, timeoutMs)) };
  }
  const text = await response.text().catch(() => '');
  const status = response.status;
  if (status >= 200 && status < 300) return { verdict: 'delivered', httpStatus: status, error: null };
  const excerpt = text.trim().slice(0, RESPONSE_EXCERPT);
  const error = redact(`HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`);
  // 408 Request Timeout and 429 Too Many Requests ask to come back later (PagerDuty rate limits with 429).
  if (status === 408 || status === 429 || status >= 500) return { verdict: 'retry', httpStatus: status, error };
  return { verdict: 'rejected', httpStatus: status, error }; // 3xx (not followed) and 4xx: the same request fails again
}

function networkError(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
  return `unreachable: ${cause}`;
}

export function requestFor(channel: ResolvedChannel, request: DeliveryRequest): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json', [DELIVERY_HEADER]: `${request.dedupe}@${channel.name}` };
  switch (channel.kind) {
    case 'slack':
      return { body: JSON.stringify(slackMessage(request.event)), headers };
    case 'pagerduty':
      return { body: JSON.stringify(pagerdutyEvent(request.event, channel.routingKey ?? '')), headers };
    case 'webhook': {
      const body = webhookBody(request.event);
      // Signed at each attempt, so a retry carries a fresh timestamp within the receiver's replay window.
      const timestamp = Math.floor(Date.now() / 1000);
      headers[TIMESTAMP_HEADER] = String(timestamp);
      if (channel.secret) headers[SIGNATURE_HEADER] = signWebhook(channel.secret, timestamp, body);
      return { body, headers };
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
