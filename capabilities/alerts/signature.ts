/**
 * The webhook signature (docs/alerts.md, "Verifying a webhook"): `X-Sentinel-Timestamp` is the Unix time in seconds
 * at which the attempt was sent, `X-Sentinel-Signature` is `v1=` and the lower-case hex HMAC-SHA256, keyed by the
 * channel's secret, of `${timestamp}.${body}` (the raw body bytes). Receivers recompute it, compare in constant
 * time and refuse a timestamp more than REPLAY_WINDOW_SECONDS from their clock, so a captured request cannot be
 * replayed later. `v1` names the scheme so it can change without breaking receivers of the old one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Sentinel-Signature';
export const TIMESTAMP_HEADER = 'X-Sentinel-Timestamp';
export const REPLAY_WINDOW_SECONDS = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A receiver's check (used by the tests, and the shape docs/alerts.md shows). */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > REPLAY_WINDOW_SECONDS || !headers.signature) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
