/**
 * Generators of hostile input shared by the properties: random bytes, invalid UTF-8, BOMs, deep nesting, huge
 * single lines, adversarial "token soups" (fragments that secret and key/value patterns react to, repeated until
 * a regular expression that backtracks would take seconds) and structured-but-wrong values.
 *
 * Deep values are built with loops, never recursion, so the generator itself cannot overflow the stack.
 */
import fc from 'fast-check';
import { DEEP_NESTING, HUGE_LINE_BYTES } from './budgets.js';

export const UTF8_BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const OTHER_BOMS = [Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xfe, 0xff), Uint8Array.of(0xff, 0xfe, 0x00, 0x00), Uint8Array.of(0x00, 0x00, 0xfe, 0xff)];

export const concatBytes = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Any text, including control characters, astral code points and the BOM character itself. */
export const anyText = (maxLength = 200): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'binary-ascii', maxLength }), fc.string({ maxLength }));

export const randomBytes = (maxLength = 2048): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/** Byte sequences no UTF-8 decoder accepts: stray continuation bytes, overlong forms, surrogates, truncations. */
const INVALID_UTF8 = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5],
  [0xff],
  [0xfe],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
].map((bytes) => Uint8Array.from(bytes));

/** Mostly valid UTF-8 text with at least one invalid sequence spliced in somewhere. */
export const invalidUtf8 = (maxLength = 200): fc.Arbitrary<Uint8Array> =>
  fc.tuple(anyText(maxLength), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INVALID_UTF8)), { minLength: 1, maxLength: 5 })).map(([text, spliced]) => {
    const bytes = new TextEncoder().encode(text);
    const parts: Uint8Array[] = [];
    let from = 0;
    for (const [at, bad] of [...spliced].sort((a, b) => a[0] - b[0])) {
      const cut = Math.min(bytes.length, from + (at % (bytes.length - from + 1)));
      parts.push(bytes.subarray(from, cut), bad);
      from = cut;
    }
    parts.push(bytes.subarray(from));
    return concatBytes(parts);
  });

/** `bytes` behind a byte-order mark: UTF-8's (which decoders drop) or a UTF-16/32 one (which they do not). */
export const withBom = (bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(UTF8_BOM, ...OTHER_BOMS), bytes).map(([bom, rest]) => concatBytes([bom, rest]));

/** Nested arrays and objects `depth` levels deep, built iteratively. */
export function nestedValue(depth: number, kind: 'array' | 'object' | 'mixed' = 'mixed', leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    value = asArray ? [value] : { a: value };
  }
  return value;
}

/** JSON (also valid YAML flow style) nested `depth` levels: `[[[...]]]`, `{"a":{"a":...}}` or both alternating. */
export function nestedJsonText(depth: number, kind: 'array' | 'object' | 'mixed' = 'mixed'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    open += asArray ? '[' : '{"a":';
    close = (asArray ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** Deeply nested texts of the config formats: flow and block YAML, JSON, TOML arrays and inline tables, INI sections. */
export const deepConfigText = (maxDepth = DEEP_NESTING): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 300, max: maxDepth }),
      fc.constantFrom('json-array', 'json-object', 'json-mixed', 'yaml-seq', 'yaml-map', 'toml-array', 'toml-table', 'ini-section', 'unclosed'),
    )
    .map(([depth, shape]) => {
      switch (shape) {
        case 'json-array':
          return nestedJsonText(depth, 'array');
        case 'json-object':
          return nestedJsonText(depth, 'object');
        case 'json-mixed':
          return `key: ${nestedJsonText(depth, 'mixed')}`;
        case 'yaml-seq':
          return `${'- '.repeat(depth)}x\n`;
        case 'yaml-map': {
          // Block mappings need one more space per level: quadratic size, so fewer levels.
          const levels = Math.min(depth, 2_000);
          let text = '';
          for (let i = 0; i < levels; i++) text += `${' '.repeat(i)}k${i}:\n`;
          return `${text}${' '.repeat(levels)}v\n`;
        }
        case 'toml-array':
          return `a = ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
        case 'toml-table':
          return `a = ${'{ b = '.repeat(depth)}1${' }'.repeat(depth)}\n`;
        case 'ini-section':
          return `[${Array.from({ length: depth }, (_, i) => `s${i}`).join('.')}]\nkey = value\n`;
        default:
          return '['.repeat(depth);
      }
    });

/**
 * One line of about `bytes` characters in shapes that stress line-oriented code and regular expressions. The
 * `soup` shape is dense with secrets (one every 20 characters): each costs a keyed hash when redacted, so use
 * `denseSecretsLine` (1 MB) for that rather than paying seconds per 5 MB input.
 */
export const hugeLine = (bytes = HUGE_LINE_BYTES): fc.Arbitrary<string> =>
  fc.constantFrom('value', 'spaces', 'key-spaces', 'quote', 'tokens').map((shape) => {
    switch (shape) {
      case 'value':
        return `password = ${'x'.repeat(bytes)}`;
      case 'spaces':
        return `key${' '.repeat(bytes)}!`;
      case 'key-spaces':
        return `token = a${' '.repeat(bytes >> 1)};${' '.repeat(bytes >> 1)}b`;
      case 'quote':
        return `"${'a,'.repeat(bytes >> 1)}`;
      default:
        return 'eyJaaaaa-a-'.repeat(Math.ceil(bytes / 11));
    }
  });

/** A single line of `bytes` characters holding a URL password, a JWT and a bearer token every 60 characters. */
export const denseSecretsLine = (bytes = 1024 * 1024): string => 'a-b://c:d@e eyJhbGci.eyJzdWIi.sig Bearer 0123456789abcdefgh '.repeat(Math.ceil(bytes / 60));

/** Fragments that the sensitive-value rules, the key/value line pattern and the parsers react to. */
const SOUP_TOKENS = [
  '://',
  ':',
  '@',
  '/',
  '?',
  '#',
  'a',
  'Z',
  '0',
  '-',
  '_',
  '.',
  ' ',
  '  ',
  '\t',
  '\u00a0',
  '=',
  ';',
  ',',
  '"',
  "'",
  '`',
  '[',
  ']',
  '{',
  '}',
  '|',
  '>',
  '\r',
  '\n',
  '\r\n',
  '\\',
  'password',
  'pwd=',
  'Bearer ',
  'eyJ',
  'eyJhbGciOiJIUzI1NiJ9',
  '-----BEGIN ',
  'RSA ',
  'PRIVATE KEY',
  '-----END ',
  '-----',
  'xoxb-',
  'ghp_',
  'AKIA',
  'sk_live_',
  'AIza',
  'glpat-',
  'npm_',
  'hooks.slack.com/services/',
  'export ',
  'KEY',
  'secret',
  'token',
  '# ',
  '; ',
  '// ',
  'key: ',
  '- ',
  '? ',
  '&a ',
  '*a',
  '!!str ',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '\ufeff',
  '\u0000',
  '\u2028',
  '\ud800',
  '😀',
  // Free-text redaction (platform/redact.ts): the formats it adds and the name-like near misses it must leave alone.
  'Authorization: ',
  'Basic ',
  'aws_secret_access_key',
  'gho_',
  'github_pat_',
  'xoxp-',
  'ASIA',
  'mongodb+srv://',
  'redis://:',
  'pg-',
  'passwd',
  'api_key',
  ': ',
];

/** Short strings assembled from the fragments above. */
export const tokenSoup = (maxTokens = 40): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...SOUP_TOKENS), { maxLength: maxTokens }).map((tokens) => tokens.join(''));

/**
 * A soup chunk repeated to `minChars`..`maxChars`: what makes a backtracking regular expression go quadratic or
 * worse shows up at these lengths as seconds instead of microseconds.
 */
export const amplifiedSoup = (minChars = 20_000, maxChars = 60_000): fc.Arbitrary<string> =>
  fc
    .tuple(
      tokenSoup(12).filter((s) => s.length > 0),
      fc.integer({ min: minChars, max: maxChars }),
      tokenSoup(6),
    )
    .map(([chunk, chars, tail]) => chunk.repeat(Math.ceil(chars / chunk.length)) + tail);

/** Any JavaScript value a hostile caller could hand over, including bigints, dates, maps and null prototypes. */
export const anyValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.anything({
        maxDepth: 3,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withTypedArray: true,
        withSparseArray: true,
        withBoxedValues: true,
        withObjectString: true,
        withUnicodeString: true,
      }),
    },
    { weight: 2, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 53), 1e308, 0.1 + 0.2) },
    { weight: 1, arbitrary: fc.constantFrom(nestedValue(DEEP_NESTING), nestedValue(DEEP_NESTING, 'object'), nestedValue(1_000, 'array')) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(100_000), ' '.repeat(10_000), '\u0000'.repeat(1_000)) },
    { weight: 1, arbitrary: fc.constant(circular()) },
  );

function circular(): unknown {
  const a: Record<string, unknown> = { name: 'loop' };
  a.self = a;
  return a;
}

/**
 * Objects of the right shape with wrong contents: every known field present or absent at random, each either a
 * plausible value (so some inputs are valid) or any hostile value; plus unknown keys such as `__proto__`.
 */
export function structuredButWrong(plausible: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(
    Object.entries(plausible).map(([key, good]) => [key, fc.oneof({ weight: 3, arbitrary: good }, { weight: 2, arbitrary: anyValue() })]),
  );
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'x'.repeat(5_000))), anyValue(), {
        maxKeys: 2,
      }),
      fc.boolean(),
    )
    .map(([known, extra, addExtra]) => (addExtra ? Object.assign(Object.create(null) as Record<string, unknown>, known, extra) : known));
}
