import { describe, expect, it } from 'vitest';
import {
  classify,
  DEFAULT_SENSITIVE_KEYS,
  describeClassification,
  findSensitiveSpans,
  isSensitiveName,
  isSensitiveValue,
  nameParts,
  sensitiveValueRule,
} from '../../../domain/config-backup/sensitive.js';

const KEYS = DEFAULT_SENSITIVE_KEYS;

describe('isSensitiveName', () => {
  const table: [name: string, sensitive: boolean][] = [
    ['PROD_DB_PASSWORD', true],
    ['PROD_DB_PASS', true],
    ['db.password', true],
    ['dbPassword', true],
    ['db-password', true],
    ['PASSWORD2', true],
    ['PROD_API_KEY', true],
    ['stripeApiKey', true],
    ['X_APIKEY', true],
    ['PROD_GITHUB_TOKEN', true],
    ['jwtSecret', true],
    ['PROD_SENTRY_DSN', true],
    ['DATABASE_URL', true],
    ['PROD_DATABASE_URL', true],
    ['servers[0].credentials.user', true],
    ['SSH_PRIVATE_KEY', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    // false positives that substring matching would produce
    ['KEYBOARD_LAYOUT', false],
    ['PROD_MONKEY_COUNT', false],
    ['TOKENIZER_MODEL', false],
    ['SECRETARY_NAME', false],
    ['PASSENGER_LIMIT', false],
    ['BYPASS_CACHE', false],
    ['COMPASS_HEADING', false],
    ['PROD_HOST', false],
    ['proxy_pass', false],
    ['fastcgi_pass', false],
    ['LOG_LEVEL', false],
    ['database.host', false],
    ['DATABASE', false],
  ];
  it.each(table)('%s -> %s', (name, sensitive) => {
    expect(isSensitiveName(name, KEYS)).toBe(sensitive);
  });

  it('uses the configured keys on top of the built-in ones', () => {
    expect(isSensitiveName('PROD_PIN_CODE', KEYS)).toBe(false);
    expect(isSensitiveName('PROD_PIN_CODE', [...KEYS, 'PIN'])).toBe(true);
    expect(isSensitiveName('PROD_PINNED', [...KEYS, 'PIN'])).toBe(false);
    // KEY is configured by default, not built in.
    expect(isSensitiveName('CACHE_KEY', KEYS)).toBe(true);
    expect(isSensitiveName('CACHE_KEY', ['PASSWORD'])).toBe(false);
    expect(isSensitiveName('PROD_DB_PASSWORD', [])).toBe(true);
    expect(isSensitiveName('proxy_pass', ['PASS'])).toBe(true);
  });

  it('splits names into parts on separators, camelCase and digits', () => {
    expect(nameParts('servers[0].apiKey')).toEqual(['SERVERS', '0', 'API', 'KEY']);
    expect(nameParts('HTTPServerURL')).toEqual(['HTTP', 'SERVER', 'URL']);
    expect(nameParts('db-password_2')).toEqual(['DB', 'PASSWORD', '2']);
    expect(nameParts('oauth2Token')).toEqual(['OAUTH', '2', 'TOKEN']);
  });
});

describe('isSensitiveValue', () => {
  const table: [value: string, rule: string | null][] = [
    ['postgres://app:hunter2@db.internal:5432/prod', 'url-credentials'],
    ['redis://:hunter2@cache:6379/0', 'url-credentials'],
    ['mongodb+srv://user:p4ss@cluster0.example.net/db', 'url-credentials'],
    ['host=db port=5432 user=app password=hunter2', 'password-assignment'],
    ['Server=db;Database=x;User Id=sa;Pwd=hunter2;', 'password-assignment'],
    [`ghp_${'a1B2'.repeat(9)}`, 'github-token'],
    [`github_pat_${'A1b2C3d4'.repeat(4)}`, 'github-token'],
    ['AKIAIOSFODNN7EXAMPLE', 'aws-access-key-id'],
    ['xoxb-123456789012-abcdefghijkl', 'slack-token'],
    ['xoxp-1234567890-abcdef', 'slack-token'],
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'slack-webhook'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'jwt'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----', 'pem-private-key'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', 'pem-private-key'],
    ['-----BEGIN PRIVATE KEY-----', 'pem-private-key'],
    [`sk_live_${'x'.repeat(24)}`, 'stripe-key'],
    ['Bearer abcdefghijklmnopqrstuvwxyz012345', 'bearer-token'],
    // not secrets
    ['https://example.com/path', null],
    ['https://user@example.com/', null],
    ['https://example.com:8443/api/v1', null],
    ['-----BEGIN PUBLIC KEY-----', null],
    ['-----BEGIN CERTIFICATE-----', null],
    ['eyJhbGciOiJIUzI1NiJ9', null],
    ['AKIA-not-a-key', null],
    ['password reset link expires after 24h', null],
    ['plain value', null],
    ['', null],
  ];
  it.each(table)('%s -> %s', (value, rule) => {
    expect(sensitiveValueRule(value)).toBe(rule);
    expect(isSensitiveValue(value)).toBe(rule !== null);
  });
});

describe('classify', () => {
  it('explains why, by name and by value', () => {
    const both = classify('PROD_DATABASE_URL', 'postgres://u:p@h/db', KEYS);
    expect(both).toEqual({
      sensitive: true,
      reasons: [
        { by: 'name', matched: 'DATABASE_URL' },
        { by: 'value', rule: 'url-credentials' },
      ],
    });
    expect(describeClassification(both)).toBe('name matches DATABASE_URL; value looks like url-credentials');
    expect(classify('PROD_CALLBACK', `ghp_${'a'.repeat(36)}`, KEYS).reasons).toEqual([{ by: 'value', rule: 'github-token' }]);
    expect(classify('KEYBOARD_LAYOUT', 'de-neo', KEYS)).toEqual({ sensitive: false, reasons: [] });
    expect(classify('PROD_PORT', 5432, KEYS).sensitive).toBe(false);
  });
});

describe('findSensitiveSpans', () => {
  it('pinpoints the secret part only', () => {
    const text = 'url=postgres://app:hunter2@db/prod auth="Bearer abcdefghijklmnop1234"';
    const spans = findSensitiveSpans(text);
    expect(spans.map((span) => text.slice(span.start, span.end))).toEqual(['hunter2', 'abcdefghijklmnop1234']);
  });
});
