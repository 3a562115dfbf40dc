/**
 * Removes credentials from free text (error messages, command output) before it is logged, stored or returned.
 *
 * Two layers:
 * - `redactSecrets`: by FORMAT, for any process — `password=`/`secret:` style pairs, URL userinfo passwords, and the
 *   well-known token formats of domain/config-backup/sensitive.ts (GitHub, GitLab, Slack, AWS key ids, Google API
 *   keys, JWTs, bearer tokens, ...) plus a few that only make sense in free text (Authorization headers,
 *   `aws_secret_access_key`, whole PEM private key blocks).
 * - `SecretRedactor`: by VALUE, for a process that knows its secrets (the worker: target passwords, the backup key,
 *   sensitive environment values, ...), then by format. Values shorter than MIN_KNOWN_SECRET_LENGTH are not
 *   replaced: a 3-letter password would turn every "pg" or "dev" in every message into `***`.
 *
 * Every pattern here is linear: no nested quantifiers, bounded quoted values, PEM blocks found with indexOf.
 */
import { DEFAULT_SENSITIVE_KEYS, findSensitiveSpans, isSensitiveName } from '../domain/config-backup/sensitive.js';

export const REDACTED = '***';

/** Known secret values shorter than this are left alone (see above); format rules still apply to them. */
export const MIN_KNOWN_SECRET_LENGTH = 6;

/**
 * `key=value` / `key: value` pairs whose key is a secret's word. The key must be a whole word: not preceded by a
 * letter, digit, `_`, `-` or `.`, so a target named `pg-secret` keeps its name and its message
 * (`pg-secret: backup failed` stays as is). Quoted values are bounded so an unterminated quote stays linear.
 */
const KEY_VALUE_SECRETS =
  /(?<![A-Za-z0-9_.-])(password|passwd|pwd|secret|token|api[_-]?key|client[_-]?secret|access[_-]?token|auth[_-]?token|aws_secret_access_key|secret_access_key)(\s*[=:]\s*)("[^"\n]{0,512}"|'[^'\n]{0,512}'|[^\s&;,"']+)/gi;

/**
 * `NAME=value` with a compound name (`DB_PASSWORD=`, `--db-password=`, `stripeApiKey=`): the value is hidden when the
 * name is sensitive by the config-backup naming rules (parts, not substrings: `KEYBOARD=` is not). Only with `=` and
 * no space before it (an assignment or a flag), so prose such as `pg-secret: backup failed` is left alone.
 */
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])(-{0,2}[A-Za-z][A-Za-z0-9_.-]{0,100})=("[^"\n]{0,512}"|'[^'\n]{0,512}'|[^\s&;,"']+)/g;

/** `Authorization: Bearer x`, `authorization=Basic x`, `Authorization: x`: the credential after the scheme. */
const AUTHORIZATION_HEADER = /(?<![A-Za-z0-9_-])((?:proxy-)?authorization["']?\s*[:=]\s*["']?)((?:Bearer|Basic|Token|Digest|Negotiate)\s+)?([^\s"',;]+)/gi;

/** Secrets found by format, replaced by `***` (names, schemes, users and hosts stay readable). */
export function redactSecrets(text: string): string {
  let out = redactPemBlocks(text);
  out = out.replace(KEY_VALUE_SECRETS, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
  out = out.replace(ASSIGNMENT, (whole, name: string) => (isSensitiveName(name, DEFAULT_SENSITIVE_KEYS) ? `${name}=${REDACTED}` : whole));
  out = out.replace(AUTHORIZATION_HEADER, (_m, head: string, scheme: string | undefined) => `${head}${scheme ?? ''}${REDACTED}`);
  return replaceSpans(out, findSensitiveSpans(out));
}

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = '-----END ';

/** Each PEM private key block from BEGIN to its END line; a block cut off (an output tail) is hidden to the end. */
function redactPemBlocks(text: string): string {
  if (!text.includes('PRIVATE KEY')) return text;
  let out = '';
  let from = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let match = PEM_BEGIN.exec(text); match !== null; match = PEM_BEGIN.exec(text)) {
    if (match.index < from) continue;
    const endAt = text.indexOf(PEM_END, match.index + match[0].length);
    const close = endAt < 0 ? -1 : text.indexOf('-----', endAt + PEM_END.length);
    const stop = close < 0 ? text.length : close + 5;
    out += `${text.slice(from, match.index)}[private key ${REDACTED}]`;
    from = stop;
    PEM_BEGIN.lastIndex = stop;
  }
  return out + text.slice(from);
}

function replaceSpans(text: string, spans: ReadonlyArray<{ start: number; end: number }>): string {
  if (spans.length === 0) return text;
  let out = '';
  let from = 0;
  for (const span of spans) {
    out += text.slice(from, span.start) + REDACTED;
    from = span.end;
  }
  return out + text.slice(from);
}

/**
 * Redaction by the values a process knows to be secret, then by format. Built once per worker (see
 * platform/known-secrets.ts); `learn` adds values found later (a target added to sentinel.yaml).
 */
export class SecretRedactor {
  /** Longest first, so a secret that contains another is replaced whole. */
  private values: string[] = [];
  private readonly known = new Set<string>();

  constructor(values: Iterable<string> = []) {
    this.learn(values);
  }

  learn(values: Iterable<string>): void {
    let added = false;
    for (const raw of values) {
      if (raw.trim().length < MIN_KNOWN_SECRET_LENGTH) continue;
      for (const value of [raw, raw.trim()]) {
        if (this.known.has(value)) continue;
        this.known.add(value);
        added = true;
      }
    }
    if (added) this.values = [...this.known].sort((a, b) => b.length - a.length);
  }

  /** How many values it knows (for the start-up log line; never the values). */
  get size(): number {
    return this.known.size;
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return redactSecrets(out);
  }
}

/** Format-only redaction, for code paths without a process's known secrets. */
export const FORMAT_ONLY_REDACTOR = new SecretRedactor();

/** A connection URL safe to show: the password replaced by `***`. Unparseable input is redacted as text. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = REDACTED;
    return parsed.toString();
  } catch {
    return redactSecrets(url);
  }
}
