/**
 * Decides which configuration values are secrets, by NAME and by VALUE. Pure: safe to import from workflow code.
 *
 * Names are compared part by part, never as substrings: `PROD_DB_PASSWORD`, `db.password`, `dbPassword` and
 * `db-password` all split into parts ending in PASSWORD, while `KEYBOARD_LAYOUT` has the part KEYBOARD, not KEY.
 * A configured key such as `API_KEY` matches a run of parts that spells it (`STRIPE_API_KEY`, `stripeApiKey`,
 * `X_APIKEY`). Trailing digits are split off (`PASSWORD2` -> PASSWORD, 2).
 *
 * Over-classifying is cheap (the value is encrypted and shows as "changed" in diffs); missing a secret leaks it,
 * so the built-in list below always applies in addition to the configured `sensitive_keys`.
 */

/**
 * Parts that turn a following built-in match into something harmless: nginx's `proxy_pass`, `fastcgi_pass`, ...
 * name upstreams, not passwords (credentials inside their URLs are still caught by the value rules).
 */
const HARMLESS_BEFORE: Readonly<Record<string, ReadonlySet<string>>> = {
  PASS: new Set(['PROXY', 'FASTCGI', 'UWSGI', 'SCGI', 'GRPC', 'MEMCACHED']),
};

/** A reasonable `sensitive_keys` default when the configuration gives none. */
export const DEFAULT_SENSITIVE_KEYS: readonly string[] = ['PASSWORD', 'SECRET', 'API_KEY', 'KEY', 'TOKEN'];

/** Always sensitive, whatever is configured. */
const BUILTIN_SENSITIVE_NAMES: readonly string[] = [
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'PASS',
  'PWD',
  'SECRET',
  'SECRETS',
  'TOKEN',
  'CREDENTIAL',
  'CREDENTIALS',
  'DSN',
  'DATABASE_URL',
  'CONNECTION_STRING',
  'CONN_STR',
  'PRIVATE_KEY',
  'API_KEY',
  'APIKEY',
  'ACCESS_KEY',
  'SECRET_KEY',
  'SIGNING_KEY',
  'ENCRYPTION_KEY',
  'MASTER_KEY',
  'SESSION_KEY',
];

export type ValueRule =
  | 'url-credentials'
  | 'password-assignment'
  | 'github-token'
  | 'aws-access-key-id'
  | 'slack-token'
  | 'slack-webhook'
  | 'jwt'
  | 'pem-private-key'
  | 'stripe-key'
  | 'google-api-key'
  | 'gitlab-token'
  | 'npm-token'
  | 'bearer-token';

interface ValueRuleSpec {
  rule: ValueRule;
  /**
   * Global + indices; a `secret` group marks the part to hide (the whole match otherwise); a `start` group (inside
   * a lookbehind) moves the start of the hidden part before the match.
   */
  pattern: RegExp;
}

const VALUE_RULES: readonly ValueRuleSpec[] = [
  // scheme://user:password@host — keep scheme, user and host visible, hide the password. The scheme is checked
  // behind `://` rather than scanned from every word start: `a-a-a-...://` was quadratic (80 KB took 7 s).
  { rule: 'url-credentials', pattern: /:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s:@/?#]*:(?<secret>[^\s@/?#]+)@/dgi },
  // libpq keyword DSNs (`host=db password=x`) and ODBC strings (`Pwd=x;`).
  { rule: 'password-assignment', pattern: /\b(?:password|passwd|pwd)\s*=\s*(?<secret>[^\s;'"]+)/dgi },
  { rule: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/dg },
  { rule: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/dg },
  { rule: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/dg },
  { rule: 'slack-webhook', pattern: /hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/dg },
  // Anchored on the `.eyJ` between header and payload, the header found behind it (`start` group): scanning from
  // every `eyJ` after a `-` made `eyJaaaaa-eyJaaaaa-...` quadratic (360 KB took 75 s).
  { rule: 'jwt', pattern: /\.(?<=(?<start>\beyJ)[A-Za-z0-9_-]{8,}\.)eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/dg },
  { rule: 'pem-private-key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/dg },
  { rule: 'stripe-key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/dg },
  { rule: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}/dg },
  { rule: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/dg },
  { rule: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/dg },
  { rule: 'bearer-token', pattern: /\bBearer\s+(?<secret>[A-Za-z0-9._~+/-]{16,}=*)/dg },
];

/** Cheap first pass: a value that matches none of these fragments cannot match any rule. */
const VALUE_PREFILTER = /:\/\/|pass|pwd|gh[pousr]_|github_pat_|AKIA|ASIA|ABIA|ACCA|xox|hooks\.slack|eyJ|PRIVATE KEY|_live_|_test_|AIza|glpat-|npm_|Bearer/i;

export type SensitiveReason = { by: 'name'; matched: string } | { by: 'value'; rule: ValueRule };

export interface Classification {
  sensitive: boolean;
  /** Every rule that fired (empty when not sensitive). */
  reasons: SensitiveReason[];
}

/** A secret found inside a longer text: `[start, end)` UTF-16 offsets of the part to hide. */
export interface SensitiveSpan {
  start: number;
  end: number;
  rule: ValueRule;
}

const OTHER = 0;
const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;

/**
 * Splits a name into upper-case parts on `_`, `.`, `-`, brackets, spaces, camelCase and letter/digit boundaries:
 * `dbPassword2` -> DB, PASSWORD, 2; `servers[0].apiKey` -> SERVERS, 0, API, KEY; `HTTPServer` -> HTTP, SERVER.
 * A hand-written scanner: this runs for every key of every file, and regex replaces were the hot spot.
 */
export function nameParts(name: string): string[] {
  const parts: string[] = [];
  let start = -1;
  let previous = OTHER;
  for (let i = 0; i <= name.length; i++) {
    const kind = i < name.length ? charKind(name.charCodeAt(i)) : OTHER;
    if (kind === OTHER) {
      if (start >= 0) parts.push(name.slice(start, i).toUpperCase());
      start = -1;
    } else if (start < 0) {
      start = i;
    } else if (
      (previous === LOWER && kind === UPPER) ||
      (previous === DIGIT) !== (kind === DIGIT) ||
      (previous === UPPER && kind === UPPER && i + 1 < name.length && charKind(name.charCodeAt(i + 1)) === LOWER)
    ) {
      parts.push(name.slice(start, i).toUpperCase());
      start = i;
    }
    previous = kind;
  }
  return parts;
}

function charKind(code: number): number {
  if (code >= 65 && code <= 90) return UPPER;
  if (code >= 97 && code <= 122) return LOWER;
  if (code >= 48 && code <= 57) return DIGIT;
  return OTHER;
}

type NameMatcher = (name: string) => string | null;
const matcherCache = new Map<string, NameMatcher>();
/** Callers pass the same array over and over (a Redactor's list): skip even the join. */
const matcherByList = new WeakMap<readonly string[], NameMatcher>();
const NAME_CACHE_LIMIT = 50_000;

/**
 * A matcher for one `sensitive_keys` list: looks up every run of consecutive parts (up to the longest key's part
 * count) in a map from spelled key (`API_KEY` -> `APIKEY`) to key, and memoises verdicts per name.
 */
function matcherFor(sensitiveKeys: readonly string[]): NameMatcher {
  const same = matcherByList.get(sensitiveKeys);
  if (same) return same;
  const cacheKey = sensitiveKeys.join('\u0000');
  let matcher = matcherCache.get(cacheKey);
  if (matcher) {
    matcherByList.set(sensitiveKeys, matcher);
    return matcher;
  }

  const bySpelling = new Map<string, { key: string; harmlessBefore?: ReadonlySet<string> }>();
  let longestRun = 1;
  for (const key of sensitiveKeys) {
    const parts = nameParts(key);
    if (parts.length === 0 || bySpelling.has(parts.join(''))) continue;
    // A configured key is taken literally; exceptions only soften the built-in list.
    bySpelling.set(parts.join(''), { key });
    longestRun = Math.max(longestRun, parts.length);
  }
  for (const key of BUILTIN_SENSITIVE_NAMES) {
    const parts = nameParts(key);
    const spelled = parts.join('');
    if (bySpelling.has(spelled)) continue;
    bySpelling.set(spelled, { key, harmlessBefore: HARMLESS_BEFORE[spelled] });
    longestRun = Math.max(longestRun, parts.length);
  }

  const verdicts = new Map<string, string | null>();
  matcher = (name) => {
    const known = verdicts.get(name);
    if (known !== undefined) return known;
    const parts = nameParts(name);
    let found: string | null = null;
    search: for (let start = 0; start < parts.length; start++) {
      let run = '';
      for (let end = start; end < parts.length && end < start + longestRun; end++) {
        run += parts[end];
        const target = bySpelling.get(run);
        if (target && !(start > 0 && target.harmlessBefore?.has(parts[start - 1]!))) {
          found = target.key;
          break search;
        }
      }
    }
    if (verdicts.size >= NAME_CACHE_LIMIT) verdicts.clear();
    verdicts.set(name, found);
    return found;
  };
  if (matcherCache.size >= 64) matcherCache.clear();
  matcherCache.set(cacheKey, matcher);
  matcherByList.set(sensitiveKeys, matcher);
  return matcher;
}

/** The configured or built-in key the name matched, or null. */
export function sensitiveNameMatch(name: string, sensitiveKeys: readonly string[]): string | null {
  return matcherFor(sensitiveKeys)(name);
}

export function isSensitiveName(name: string, sensitiveKeys: readonly string[]): boolean {
  return sensitiveNameMatch(name, sensitiveKeys) !== null;
}

/** The first value rule the string matches, or null. */
export function sensitiveValueRule(value: string): ValueRule | null {
  if (!VALUE_PREFILTER.test(value)) return null;
  for (const spec of VALUE_RULES) {
    spec.pattern.lastIndex = 0;
    if (spec.pattern.test(value)) {
      spec.pattern.lastIndex = 0;
      return spec.rule;
    }
  }
  return null;
}

export function isSensitiveValue(value: string): boolean {
  return sensitiveValueRule(value) !== null;
}

/** Name and value evidence together; `reasons` explains the verdict. */
export function classify(name: string, value: unknown, sensitiveKeys: readonly string[]): Classification {
  const reasons: SensitiveReason[] = [];
  const matched = sensitiveNameMatch(name, sensitiveKeys);
  if (matched !== null) reasons.push({ by: 'name', matched });
  if (typeof value === 'string') {
    const rule = sensitiveValueRule(value);
    if (rule !== null) reasons.push({ by: 'value', rule });
  }
  return { sensitive: reasons.length > 0, reasons };
}

/** One-line explanation of a classification, for listings and dry runs. Never includes the value. */
export function describeClassification(classification: Classification): string {
  if (!classification.sensitive) return 'not sensitive';
  return classification.reasons.map((reason) => (reason.by === 'name' ? `name matches ${reason.matched}` : `value looks like ${reason.rule}`)).join('; ');
}

/** All secret spans inside a text (merged where they overlap), for redacting free-form lines. */
export function findSensitiveSpans(text: string): SensitiveSpan[] {
  if (!VALUE_PREFILTER.test(text)) return [];
  const spans: SensitiveSpan[] = [];
  for (const spec of VALUE_RULES) {
    spec.pattern.lastIndex = 0;
    for (const match of text.matchAll(spec.pattern)) {
      const whole = match.indices?.[0] ?? [match.index, match.index];
      const [start, end] = match.indices?.groups?.secret ?? [match.indices?.groups?.start?.[0] ?? whole[0], whole[1]];
      if (end > start) spans.push({ start, end, rule: spec.rule });
    }
  }
  return mergeSpans(spans);
}

function mergeSpans(spans: SensitiveSpan[]): SensitiveSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SensitiveSpan[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}
