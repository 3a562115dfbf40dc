/**
 * Free-text redaction (platform/redact.ts): one positive and one near-miss negative per secret format, the known-value
 * redactor and its length threshold, and the names that must stay readable (issue #11 item 3).
 * Tokens are assembled at run time so this file does not itself look like it holds credentials.
 */
import { describe, expect, it } from 'vitest';
import { configSecrets, environmentSecrets } from '../../../platform/known-secrets.js';
import { MIN_KNOWN_SECRET_LENGTH, redactSecrets, SecretRedactor } from '../../../platform/redact.js';
import { parseSettings } from '../../../domain/settings/schema.js';

const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const alnum = (n: number) => rep('aB3dE5fG7h', n);

// [format, text with a secret, the secret itself, a near miss that must come out unchanged]
const CASES: Array<[string, string, string, string]> = [
  ['GitHub classic (ghp_)', `token ${'ghp_'}${alnum(36)} rejected`, `ghp_${alnum(36)}`, `ghp_${alnum(20)} is too short`],
  ['GitHub OAuth (gho_)', `x gho_${alnum(36)}`, `gho_${alnum(36)}`, `xgho_${alnum(36)}`],
  ['GitHub user-to-server (ghu_)', `ghu_${alnum(40)}`, `ghu_${alnum(40)}`, 'ghu_ alone'],
  ['GitHub server-to-server (ghs_)', `ghs_${alnum(36)}`, `ghs_${alnum(36)}`, `ghx_${alnum(36)}`],
  ['GitHub refresh (ghr_)', `ghr_${alnum(36)}`, `ghr_${alnum(36)}`, `ghr-${alnum(36)}`],
  ['GitHub fine-grained (github_pat_)', `github_pat_${alnum(22)}_${alnum(59)}`, `github_pat_${alnum(22)}_${alnum(59)}`, 'github_pat_short'],
  ['GitLab (glpat-)', `glpat-${alnum(20)}`, `glpat-${alnum(20)}`, `glpat-${alnum(10)}`],
  ['Slack bot (xoxb-)', `xoxb-1234567890-${alnum(24)}`, `xoxb-1234567890-${alnum(24)}`, 'xoxb-123'],
  ['Slack user (xoxp-)', `xoxp-1234567890-${alnum(24)}`, `xoxp-1234567890-${alnum(24)}`, 'xoxz-1234567890abcdef'],
  ['Slack app (xoxa-)', `xoxa-2-${alnum(30)}`, `xoxa-2-${alnum(30)}`, 'xoxa-short'],
  ['Slack refresh (xoxr-)', `xoxr-${alnum(30)}`, `xoxr-${alnum(30)}`, 'xoxr-'],
  ['Slack session (xoxs-)', `xoxs-${alnum(30)}`, `xoxs-${alnum(30)}`, 'xox-s1234567890123'],
  [
    'Slack webhook URL',
    `POST https://hooks.slack.com/services/T0000/B0000/${alnum(24)} failed`,
    `/services/T0000/B0000/${alnum(24)}`,
    'see https://api.slack.com/messaging/webhooks',
  ],
  [
    'AWS access key id (AKIA)',
    `key AKIA${rep('ABCDEFGHIJ234567', 16)} denied`,
    `AKIA${rep('ABCDEFGHIJ234567', 16)}`,
    `AKIA${rep('ABCDEFGHIJ', 10)} is too short`,
  ],
  ['AWS temporary key id (ASIA)', `ASIA${rep('QRSTUVWXYZ234567', 16)}`, `ASIA${rep('QRSTUVWXYZ234567', 16)}`, `ASIAN${'X'.repeat(30)}`],
  ['aws_secret_access_key=', `aws_secret_access_key=${alnum(40)}`, alnum(40), 'my_aws_secret_access_key_file is /etc/aws'],
  ['AWS_SECRET_ACCESS_KEY: (env form)', `AWS_SECRET_ACCESS_KEY: ${alnum(40)}`, alnum(40), 'set AWS_SECRET_ACCESS_KEY first'],
  ['Google API key (AIza)', `key=AIza${alnum(35)}`, `AIza${alnum(35)}`, `AIza${alnum(20)}`],
  [
    'JWT',
    `jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${alnum(43)}`,
    `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${alnum(43)}`,
    'eyJ.eyJ.x and a.b.c',
  ],
  ['Authorization: Bearer', 'Authorization: Bearer abc.def-123', 'abc.def-123', 'bearer of bad news'],
  ['Authorization: Basic', 'curl: Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz', 'Basic authentication failed'],
  ['Bearer token in text', `sent Bearer ${alnum(32)}`, alnum(32), 'Bearer short'],
  [
    'PEM private key block',
    `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${alnum(60)}\n${alnum(64)}\n-----END RSA PRIVATE KEY-----\ndone`,
    `MIIEow${alnum(60)}`,
    '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----',
  ],
  ['PEM block cut off (output tail)', `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz${alnum(70)}`, `b3BlbnNz${alnum(70)}`, 'PRIVATE KEY not found'],
  ['postgres URL password', 'postgres://app:Pa55word@db:5432/x', 'Pa55word', 'postgres://app@db:5432/x'],
  ['mysql URL password', 'mysql://root:r00tpw@127.0.0.1/db', 'r00tpw', 'mysql://127.0.0.1:3306/db'],
  ['mongodb+srv URL password', 'mongodb+srv://u:m0ngopw@cluster0.example.net/app', 'm0ngopw', 'mongodb+srv://cluster0.example.net/app'],
  ['amqp URL password', 'amqp://guest:rabbitpw@mq:5672/', 'rabbitpw', 'amqp://mq:5672/'],
  ['redis URL password (no user)', 'redis://:red1spw@cache:6379/0', 'red1spw', 'redis://cache:6379/0'],
  ['libpq key=value password', 'host=db user=app password=libpqpw dbname=x', 'libpqpw', 'host=db user=app dbname=x'],
  ['password= quoted', "password='two words'", 'two words', "passwords are 'hard'"],
  ['secret: value', 'secret: abc123', 'abc123', 'pg-secret: backup failed'],
  ['password=x (one char)', 'password=x', 'password=x', 'password_hint: x'],
  ['compound NAME=value (env dump, flag)', `DB_PASSWORD=${alnum(12)} --api-token=${alnum(12)}`, alnum(12), 'KEYBOARD=us PGHOST=db pg-secret: backup failed'],
];

describe('redactSecrets: one positive and one near miss per format', () => {
  for (const [format, text, secret, nearMiss] of CASES) {
    it(format, () => {
      const out = redactSecrets(text);
      expect(out).toContain('***');
      if (secret !== text.trim() && !secret.includes('=')) expect(out).not.toContain(secret);
      expect(redactSecrets(nearMiss)).toBe(nearMiss);
    });
  }

  it('keeps names, schemes, users and hosts readable', () => {
    expect(redactSecrets('failed for postgres://app:s3cret@db:5432/x and password=hunter2')).toBe('failed for postgres://app:***@db:5432/x and password=***');
    expect(redactSecrets('password=x')).toBe('password=***');
    expect(redactSecrets('secret: abc123')).toBe('secret: ***');
    expect(redactSecrets('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ***');
  });

  it('redacts values, not names: a target named pg-secret keeps its name (the over-redaction of issue #11)', () => {
    for (const text of [
      'pg-secret: backup failed',
      'target pg-secret: backup command exited with code 3',
      'my_token: none',
      'x.password: y',
      'api-token-2: fine',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
    expect(redactSecrets('pg-secret: backup failed: password=Hunter2')).toBe('pg-secret: backup failed: password=***');
  });

  it('leaves innocuous text alone', () => {
    for (const text of [
      'backup command exited with code 3: disk full',
      'pg_dump: error: connection to server at "db" (10.0.0.1), port 5432 failed',
      'https://example.com/a/b?c=d',
      'tokenizer: 4 tokens',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});

describe('SecretRedactor: the values a worker knows', () => {
  it('replaces known values wherever they appear, longest first, then applies the formats', () => {
    const redactor = new SecretRedactor(['Hunter2Hunter2', 'Hunter2']);
    expect(redactor.redact(`echo Hunter2Hunter2 and Hunter2, ghp_${alnum(36)}`)).toBe('echo *** and ***, ***');
  });

  it(`ignores values shorter than ${MIN_KNOWN_SECRET_LENGTH} characters (they would over-redact)`, () => {
    const redactor = new SecretRedactor(['pg', 'dev', 'abcde', '      ']);
    expect(redactor.size).toBe(0);
    expect(redactor.redact('pg dev abcde')).toBe('pg dev abcde');
  });

  it('knows the environment: backup key and its material, webhook URL, DATABASE_URL password, sensitive variables', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const found = environmentSecrets({
      CONFIG_BACKUP_KEY: `*prod:${key}`,
      ALERT_WEBHOOK_URL: 'https://hooks.example.com/abc/def',
      DATABASE_URL: 'postgres://u:dbpass%2Fx@h/db',
      STRIPE_API_KEY: 'stripe-value-1',
      HOME: '/root',
      PWD: '/work/somewhere',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        `*prod:${key}`,
        key,
        Buffer.alloc(32, 7).toString('hex'),
        Buffer.alloc(32, 7).toString('base64url'),
        'https://hooks.example.com/abc/def',
        'dbpass%2Fx',
        'dbpass/x',
        'stripe-value-1',
      ]),
    );
    expect(found).not.toContain('/root');
    expect(found).not.toContain('/work/somewhere');
  });

  it("knows the OTLP exporter's header values (a collector's API key) and endpoint passwords", () => {
    const found = environmentSecrets({
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=otlp-key-1,authorization=Bearer%20otlp-token-2',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-honeycomb-team=otlp-team-3',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://u:otlp-pass-4@collector.example:4317',
      OTEL_SERVICE_NAME: 'backup-sentinel',
    });
    expect(found).toEqual(expect.arrayContaining(['otlp-key-1', 'Bearer%20otlp-token-2', 'Bearer otlp-token-2', 'otlp-team-3', 'otlp-pass-4']));
    expect(found).not.toContain('api-key');
    expect(found).not.toContain('backup-sentinel');
  });

  it('knows sentinel.yaml: target URL passwords and credentials in command lines', () => {
    const config = parseSettings(
      {
        targets: [
          { name: 'db', kind: 'postgres', url: 'postgres://app:t%40rgetpw@db/x' },
          { name: 'cmd', kind: 'command', command: 'mysqldump mysql://root:cmdpw123@h/db' },
        ],
      },
      'sentinel.yaml',
    );
    expect(configSecrets(config)).toEqual(expect.arrayContaining(['t%40rgetpw', 't@rgetpw', 'cmdpw123']));
  });
});
