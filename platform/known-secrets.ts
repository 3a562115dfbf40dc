/**
 * The values a worker knows to be secret, for SecretRedactor: whatever a backup command or pg_dump prints, these
 * never leave an activity in the clear, whatever their format.
 *
 * - the environment: CONFIG_BACKUP_KEY (the spec, each entry and its key material in base64, base64url and hex),
 *   ALERT_WEBHOOK_URL (whole: a Slack or similar webhook URL is the credential), DATABASE_URL's and
 *   DRILL_DATABASE_URL's passwords, and the
 *   value of every variable whose NAME is sensitive by the config-backup rules (domain/config-backup/sensitive.ts);
 * - sentinel.yaml: the password of every target URL, and credentials inside command targets' command lines.
 */
import { CONFIG_BACKUP_KEY_ENV } from '../domain/config-backup/keyring-name.js';
import { findSensitiveSpans, isSensitiveName } from '../domain/config-backup/sensitive.js';
import type { SentinelSettings } from '../domain/settings/schema.js';
import { effectiveSensitiveKeys } from '../capabilities/config-backup/run/views.js';
import { SecretRedactor } from './redact.js';

/** Shell bookkeeping whose names look sensitive (`PWD` is a builtin name) but whose values are paths. */
const NOT_SECRET_ENV = new Set(['PWD', 'OLDPWD']);

type Env = Readonly<Record<string, string | undefined>>;

export function environmentSecrets(env: Env): string[] {
  const found: string[] = [];
  const key = env[CONFIG_BACKUP_KEY_ENV];
  if (key) found.push(key, ...keyMaterial(key));
  if (env.ALERT_WEBHOOK_URL) found.push(env.ALERT_WEBHOOK_URL, ...urlPasswords(env.ALERT_WEBHOOK_URL));
  if (env.DATABASE_URL) found.push(...urlPasswords(env.DATABASE_URL));
  if (env.DRILL_DATABASE_URL) found.push(...urlPasswords(env.DRILL_DATABASE_URL));
  const sensitiveKeys = effectiveSensitiveKeys();
  for (const [name, value] of Object.entries(env)) {
    if (value && !NOT_SECRET_ENV.has(name) && isSensitiveName(name, sensitiveKeys)) found.push(value);
  }
  return found;
}

export function configSecrets(config: SentinelSettings): string[] {
  const found: string[] = [];
  for (const target of config.targets) {
    if (target.kind === 'postgres') found.push(...urlPasswords(target.url));
    if (target.kind === 'command') found.push(...credentialsIn(target.command));
    if (target.kind === 'command' && target.drill) found.push(...credentialsIn(target.drill.command));
  }
  return found;
}

/** A redactor that knows the environment's secrets; the worker teaches it sentinel.yaml's on every config load. */
export function workerRedactor(env: Env = process.env): SecretRedactor {
  return new SecretRedactor(environmentSecrets(env));
}

/** Entries of a keyring spec (`*id:base64,id2:base64`) and each key in the encodings it may be printed in. */
function keyMaterial(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.split(',')) {
    const body = part.trim().replace(/^\*/, '');
    const encoded = body.slice(body.indexOf(':') + 1).trim();
    out.push(part.trim(), encoded);
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length >= 16) out.push(bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'));
  }
  return out;
}

/** The password of a URL, as written (percent-encoded) and decoded. */
function urlPasswords(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (!password) return [];
    return [password, safeDecode(password)];
  } catch {
    return credentialsIn(url);
  }
}

/** Credentials found by format inside a text (URL passwords, `password=` values in a command line). */
function credentialsIn(text: string): string[] {
  return findSensitiveSpans(text)
    .map((span) => text.slice(span.start, span.end))
    .flatMap((value) => [value, safeDecode(value)]);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
