/**
 * sentinel.yaml's alert channels with their secrets read from the environment: each referenced variable must be
 * set, a URL must be an http(s) URL, a signing secret at least 32 bytes. Problems are reported with the setting's
 * path and the variable's NAME, never its value. The worker checks this at start (a broken channel stops it there,
 * not at the first alert); the sendAlert activity resolves again on every call, so an edited sentinel.yaml applies
 * without a restart.
 */
import { SettingsError, type AlertChannelConfig, type AlertSeverity, type SentinelSettings } from '../../domain/settings/schema.js';
import type { Route } from '../../domain/alerts/routing.js';

type Env = Readonly<Record<string, string | undefined>>;

/** HMAC-SHA256 keys shorter than its 32-byte output weaken it; receivers get a secret worth its name. */
export const MIN_SIGNING_SECRET_BYTES = 32;
/** The implicit channel ALERT_WEBHOOK_URL stands for (upper case: no sentinel.yaml channel can take its name). */
export const ENV_WEBHOOK_CHANNEL = 'ALERT_WEBHOOK_URL';

export interface ResolvedChannel {
  name: string;
  kind: AlertChannelConfig['kind'];
  minSeverity: AlertSeverity;
  /** Where to POST: the webhook or Slack URL, or PagerDuty's events endpoint. Secret except for PagerDuty. */
  url: string;
  /** The webhook signing secret (absent: unsigned, only for the implicit ALERT_WEBHOOK_URL channel). */
  secret?: string | undefined;
  /** PagerDuty's routing key. */
  routingKey?: string | undefined;
  timeoutMs: number;
  maxAttempts: number;
}

export interface AlertRouting {
  channels: ResolvedChannel[];
  routes: Route[];
}

/** Every value a resolved channel holds that must never be shown: for the worker's redactor. */
export function channelSecrets(routing: AlertRouting): string[] {
  return routing.channels.flatMap((c) => [c.kind === 'pagerduty' ? undefined : c.url, c.secret, c.routingKey].filter((v): v is string => !!v));
}

/** Every channel, or a SettingsError listing each problem (the worker's start-up check). */
export function resolveAlertChannels(settings: SentinelSettings, env: Env, source = 'sentinel.yaml'): AlertRouting {
  const { problems, ...routing } = usableAlertChannels(settings, env);
  if (problems.length > 0) throw new SettingsError(`${source}: alert channels are invalid:\n  ${problems.join('\n  ')}`, problems);
  return routing;
}

/**
 * The channels that can be used and the problems of the others: what an activity delivers to when sentinel.yaml
 * was edited after the worker started, so one broken channel does not silence the rest.
 */
export function usableAlertChannels(settings: SentinelSettings, env: Env): AlertRouting & { problems: string[] } {
  const problems: string[] = [];
  const channels: ResolvedChannel[] = [];
  const read = (path: string, name: string): string | undefined => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${path}: environment variable ${name} is not set`);
    return value || undefined;
  };
  const httpUrl = (path: string, name: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (!isHttpUrl(value)) {
      problems.push(`${path}: environment variable ${name} does not hold an http:// or https:// URL`);
      return undefined;
    }
    return value;
  };
  const signingSecret = (path: string, name: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < MIN_SIGNING_SECRET_BYTES) {
      problems.push(
        `${path}: the signing secret in ${name} is ${bytes} bytes; it must be at least ${MIN_SIGNING_SECRET_BYTES} (e.g. \`openssl rand -hex 32\`)`,
      );
      return undefined;
    }
    return value;
  };

  (settings.alerts?.channels ?? []).forEach((channel, index) => {
    const at = (key: string) => `alerts.channels[${index}].${key}`;
    const common = {
      name: channel.name,
      kind: channel.kind,
      minSeverity: channel.minSeverity,
      timeoutMs: channel.timeoutSeconds * 1000,
      maxAttempts: channel.maxAttempts,
    };
    if (channel.kind === 'pagerduty') {
      const routingKey = read(at('routingKeyEnv'), channel.routingKeyEnv);
      if (routingKey) channels.push({ ...common, url: channel.eventsUrl, routingKey });
      return;
    }
    const url = httpUrl(at('urlEnv'), channel.urlEnv, read(at('urlEnv'), channel.urlEnv));
    const secret = channel.kind === 'webhook' ? signingSecret(at('secretEnv'), channel.secretEnv, read(at('secretEnv'), channel.secretEnv)) : undefined;
    if (url && (channel.kind !== 'webhook' || secret)) channels.push({ ...common, url, secret });
  });

  // ALERT_WEBHOOK_URL, as before sentinel.yaml had channels: every alert, signed when ALERT_WEBHOOK_SECRET is set.
  const legacy = env.ALERT_WEBHOOK_URL?.trim();
  if (legacy) {
    const url = httpUrl('ALERT_WEBHOOK_URL', 'ALERT_WEBHOOK_URL', legacy);
    const rawSecret = env.ALERT_WEBHOOK_SECRET?.trim();
    const secret = rawSecret ? signingSecret('ALERT_WEBHOOK_SECRET', 'ALERT_WEBHOOK_SECRET', rawSecret) : undefined;
    if (url && (!rawSecret || secret))
      channels.push({ name: ENV_WEBHOOK_CHANNEL, kind: 'webhook', minSeverity: 'info', url, secret, timeoutMs: 10_000, maxAttempts: 3 });
  }
  return { channels, routes: settings.alerts?.routes ?? [], problems };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
