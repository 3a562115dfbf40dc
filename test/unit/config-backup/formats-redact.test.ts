import { describe, expect, it } from 'vitest';
import { diffViews } from '../../../domain/config-backup/diff.js';
import { decodeText, detectFormat, parseConfig } from '../../../domain/config-backup/formats.js';
import { flattenConfig } from '../../../domain/config-backup/flatten.js';
import { isSecretMarker, Redactor } from '../../../domain/config-backup/redact.js';
import type { ConfigFormat, MapView, RedactedView, TextView } from '../../../domain/config-backup/types.js';
import { CANARY, CANARY_2, keyringK1, redactorFor } from './helpers.js';

const redactor = redactorFor();

function viewOf(text: string, format: ConfigFormat): RedactedView {
  return redactor.redactParsed(parseConfig(text, format));
}

function expectNoCanary(value: unknown): void {
  const json = JSON.stringify(value);
  expect(json).not.toContain(CANARY);
  expect(json).not.toContain(CANARY_2);
  expect(json).not.toContain('s3cr3t');
}

const SAMPLES: Record<Exclude<ConfigFormat, 'text'>, (secret: string) => string> = {
  yaml: (s) => `# app config
server:
  host: api.internal
  port: 8443
database:
  url: postgres://app:${s}@db.internal:5432/prod
  password: "${s}"
replicas:
  - host: r1.internal
    token: ${s}
logLevel: info
`,
  json: (s) =>
    JSON.stringify(
      {
        server: { host: 'api.internal', port: 8443 },
        database: { url: `postgres://app:${s}@db.internal:5432/prod`, password: s },
        replicas: [{ host: 'r1.internal', token: s }],
        logLevel: 'info',
      },
      null,
      2,
    ),
  ini: (s) => `; app config
logLevel = info
[server]
host = api.internal
port = 8443
[database]
url = postgres://app:${s}@db.internal:5432/prod
password = ${s}
[replicas.r1]
host = r1.internal
token = ${s}
`,
  env: (s) => `# app env
export SERVER_HOST=api.internal
SERVER_PORT=8443
DATABASE_URL="postgres://app:${s}@db.internal:5432/prod"
DB_PASSWORD='${s}'
REPLICA_TOKEN=${s}
LOG_LEVEL=info
`,
  toml: (s) => `# app config
logLevel = "info"
[server]
host = "api.internal"
port = 8443
[database]
url = "postgres://app:${s}@db.internal:5432/prod"
password = "${s}"
[[replicas]]
host = "r1.internal"
token = "${s}"
`,
};

const EXPECTED: Record<Exclude<ConfigFormat, 'text'>, { visible: Record<string, unknown>; secret: string[] }> = {
  yaml: {
    visible: { 'server.host': 'api.internal', 'server.port': 8443, 'replicas[0].host': 'r1.internal', logLevel: 'info' },
    secret: ['database.url', 'database.password', 'replicas[0].token'],
  },
  json: {
    visible: { 'server.host': 'api.internal', 'server.port': 8443, 'replicas[0].host': 'r1.internal', logLevel: 'info' },
    secret: ['database.url', 'database.password', 'replicas[0].token'],
  },
  ini: {
    visible: { 'server.host': 'api.internal', 'server.port': '8443', 'replicas.r1.host': 'r1.internal', logLevel: 'info' },
    secret: ['database.url', 'database.password', 'replicas.r1.token'],
  },
  env: {
    visible: { SERVER_HOST: 'api.internal', SERVER_PORT: '8443', LOG_LEVEL: 'info' },
    secret: ['DATABASE_URL', 'DB_PASSWORD', 'REPLICA_TOKEN'],
  },
  toml: {
    visible: { 'server.host': 'api.internal', 'server.port': 8443, 'replicas[0].host': 'r1.internal', logLevel: 'info' },
    secret: ['database.url', 'database.password', 'replicas[0].token'],
  },
};

describe('detectFormat', () => {
  it.each([
    ['/etc/app/config.yaml', 'yaml'],
    ['/etc/app/config.YML', 'yaml'],
    ['settings.json', 'json'],
    ['/etc/php.ini', 'ini'],
    ['/etc/mysql/my.cnf', 'ini'],
    ['setup.cfg', 'ini'],
    ['/srv/app/.env', 'env'],
    ['/srv/app/.env.production', 'env'],
    ['/srv/app/prod.env', 'env'],
    ['Cargo.toml', 'toml'],
    ['/etc/nginx/nginx.conf', 'text'],
    ['/etc/hosts', 'text'],
    ['.bashrc', 'text'],
  ] as const)('%s -> %s', (file, format) => {
    expect(detectFormat(file)).toBe(format);
  });

  it('prefers an explicit format', () => {
    expect(detectFormat('/etc/nginx/nginx.conf', 'yaml')).toBe('yaml');
    expect(() => detectFormat('x', 'xml' as ConfigFormat)).toThrow(/unknown config format/);
  });
});

describe.each(Object.keys(SAMPLES) as Exclude<ConfigFormat, 'text'>[])('%s', (format) => {
  it('parses into a flat map and redacts every secret', () => {
    const view = viewOf(SAMPLES[format](CANARY), format) as MapView;
    expect(view.kind).toBe('map');
    expect(view.format).toBe(format);
    expect(view.warnings).toEqual([]);
    expect(view.hashKeyId).toBe('k1');
    for (const [key, value] of Object.entries(EXPECTED[format].visible)) expect(view.entries[key]).toEqual(value);
    expect([...view.secretKeys].sort()).toEqual([...EXPECTED[format].secret].sort());
    for (const key of EXPECTED[format].secret) expect(isSecretMarker(view.entries[key])).toBe(true);
    expectNoCanary(view);
  });

  it('shows a changed secret as changed, without values', () => {
    const before = viewOf(SAMPLES[format](CANARY), format);
    const after = viewOf(SAMPLES[format](CANARY_2), format);
    const again = viewOf(SAMPLES[format](CANARY), format);
    expect(diffViews(before, again).changes).toEqual([]);
    const diff = diffViews(before, after);
    expect(diff.kind).toBe('map');
    expect(diff.changes.map((change) => change).sort((a, b) => ('key' in a && 'key' in b ? a.key.localeCompare(b.key) : 0))).toEqual(
      EXPECTED[format].secret.sort().map((key) => ({ key, change: 'modified', secret: true })),
    );
    expectNoCanary(diff);
  });
});

describe('name-sensitive vs value-sensitive entries', () => {
  it('keeps the non-secret parts of a value that merely contains a secret', () => {
    const view = redactor.redactMap({ 'app.callback': `postgres://app:${CANARY}@db.internal/prod` });
    expect(view.entries['app.callback']).toMatch(/^postgres:\/\/app:«secret:[0-9a-f]{8}»@db\.internal\/prod$/);
    expect(view.secretKeys).toEqual(['app.callback']);
    expectNoCanary(view);
  });

  it('hides tokens used as map keys', () => {
    const token = `ghp_${'Z9'.repeat(18)}`;
    const view = redactor.redactMap({ [`ci.tokens.${token}`]: 'deploy', 'ci.name': 'x' });
    expect(JSON.stringify(view)).not.toContain(token);
    expect(Object.keys(view.entries)[0]).toMatch(/^ci\.tokens\.«secret:[0-9a-f]{8}»$/);
    expect(view.secretKeys).toEqual([Object.keys(view.entries)[0]]);
  });

  it('hides a whole PEM private key value', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----\n`;
    const view = redactor.redactMap({ 'tls.material': pem });
    expect(view.entries['tls.material']).toMatch(/^«secret:[0-9a-f]{8}»$/);
  });

  it('gives equal secrets under different keys different markers, and is stable per key', () => {
    const a = redactor.redactMap({ 'a.password': CANARY, 'b.password': CANARY });
    expect(a.entries['a.password']).not.toBe(a.entries['b.password']);
    expect(redactor.redactMap({ 'a.password': CANARY }).entries['a.password']).toBe(a.entries['a.password']);
  });

  it('markers depend on the key: another key, other markers', () => {
    const other = new Redactor({ keyedHash: keyringK1().markerHasher(), hashKeyId: 'k1' });
    expect(other.redactMap({ p: CANARY, password: CANARY }).entries.password).toBe(redactor.redactMap({ password: CANARY }).entries.password);
    const k2 = new Redactor({ keyedHash: (s) => keyringK1().contentHash(Buffer.from(s)), hashKeyId: 'k2' });
    expect(k2.redactMap({ password: CANARY }).entries.password).not.toBe(redactor.redactMap({ password: CANARY }).entries.password);
  });

  it('can leave secrets visible on request, with a warning', () => {
    const view = redactor.redactMap({ password: CANARY, host: 'h' }, { keepSecrets: true });
    expect(view.entries).toEqual({ password: CANARY, host: 'h' });
    expect(view.secretKeys).toEqual(['password']);
    expect(view.warnings).toEqual(['encryptSensitive is off: 1 sensitive value(s) are shown unredacted']);
  });
});

describe('plain text (nginx.conf and friends)', () => {
  const nginx = (s: string): string => `user www-data;
worker_processes auto;
http {
    server {
        listen 443 ssl;
        server_name example.com;
        ssl_password_file /etc/nginx/ssl.pass;
        location /api {
            proxy_pass http://backend:${s}@10.0.0.5:8080;
            proxy_set_header Authorization "Bearer ${s}";
        }
    }
}
# password = ${s}
api_token: ${s}
-----BEGIN EC PRIVATE KEY-----
${s}
MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49
-----END EC PRIVATE KEY-----
`;

  it('redacts sensitive assignments, token patterns and key blocks, leaving the rest', () => {
    const view = viewOf(nginx(CANARY), 'text') as TextView;
    expect(view.kind).toBe('text');
    expectNoCanary(view);
    expect(view.lines[0]).toBe('user www-data;');
    expect(view.lines[5]).toBe('        server_name example.com;');
    expect(view.lines[6]).toMatch(/^ {8}ssl_password_file «secret:[0-9a-f]{8}»;$/);
    expect(view.lines[8]).toMatch(/^ {12}proxy_pass http:\/\/backend:«secret:[0-9a-f]{8}»@10\.0\.0\.5:8080;$/);
    expect(view.lines[9]).toMatch(/^ {12}proxy_set_header Authorization "Bearer «secret:[0-9a-f]{8}»";$/);
    expect(view.lines[13]).toMatch(/^# password = «secret:[0-9a-f]{8}»$/);
    expect(view.lines[14]).toMatch(/^api_token: «secret:[0-9a-f]{8}»$/);
    expect(view.lines.slice(15, 18)).toEqual([
      '-----BEGIN EC PRIVATE KEY-----',
      expect.stringMatching(/^«secret:[0-9a-f]{8}»$/),
      '-----END EC PRIVATE KEY-----',
    ]);
    expect(view.secretLines).toEqual([6, 8, 9, 13, 14, 16]);
  });

  it('diffs texts line by line; secrets only as changed markers', () => {
    const before = viewOf(nginx(CANARY), 'text');
    const after = viewOf(nginx(CANARY_2).replace('worker_processes auto;', 'worker_processes 4;'), 'text');
    const diff = diffViews(before, after);
    expectNoCanary(diff);
    expect(diff.kind).toBe('text');
    expect(diff.summary).toEqual({ added: 0, removed: 0, modified: 6 });
    expect(diff.changes[0]).toEqual({
      change: 'modified',
      beforeLine: 2,
      afterLine: 2,
      before: 'worker_processes auto;',
      after: 'worker_processes 4;',
      secret: false,
    });
    expect(diff.changes.slice(1).every((change) => change.secret)).toBe(true);
  });
});

describe('unparsable files fall back to text with a warning', () => {
  const broken: [ConfigFormat, string, RegExp][] = [
    [
      'yaml',
      `server:\n  host: a\n password: ${CANARY}\n  list: [1, 2\n`,
      /^could not parse as YAML \(bad indentation of a mapping entry at line 3, column 2\); backed up and shown as text$/,
    ],
    ['json', `{\n  "password": "${CANARY}",\n  oops\n}`, /^could not parse as JSON \(invalid JSON( at line \d+, column \d+)?\); backed up and shown as text$/],
    ['toml', `password = "${CANARY}"\nport = = 1\n`, /^could not parse as TOML \(invalid TOML at line 2, column \d+\); backed up and shown as text$/],
    ['yaml', `connection string host=db password=${CANARY}`, /top level is a single value/],
  ];
  it.each(broken)('%s', (format, text, warning) => {
    const view = viewOf(text, format);
    expect(view.kind).toBe('text');
    expect(view.warnings).toHaveLength(1);
    expect(view.warnings[0]).toMatch(warning);
    expectNoCanary(view);
  });

  it('hides sensitive YAML blocks in the text fallback too', () => {
    const text = `database:\n  password: |\n    ${CANARY}\n    second line\n  host: db\nbroken: [\n`;
    const view = viewOf(text, 'yaml') as TextView;
    expect(view.kind).toBe('text');
    expectNoCanary(view);
    expect(view.lines[1]).toBe('  password: |');
    expect(view.lines[2]).toMatch(/^ {4}«secret:[0-9a-f]{8}»$/);
    expect(view.lines[4]).toBe('  host: db');
  });

  it('decodes invalid UTF-8 with a warning and empty input without one', () => {
    expect(decodeText(Buffer.from([0x61, 0xff, 0x62])).warnings).toHaveLength(1);
    expect(decodeText(Buffer.from('\ufeffa: 1', 'utf8')).text).toBe('a: 1');
    expect(decodeText(Buffer.alloc(0))).toEqual({ text: '', warnings: [] });
  });
});

describe('flattenConfig', () => {
  it('uses dotted paths, [i] for arrays and quotes awkward keys', () => {
    expect({ ...flattenConfig({ a: { b: 1, 'c.d': true, '': null }, list: [{ x: 'y' }, 2], empty: {}, none: [] }) }).toEqual({
      'a.b': 1,
      'a["c.d"]': true,
      'a[""]': null,
      'list[0].x': 'y',
      'list[1]': 2,
      empty: '{}',
      none: '[]',
    });
  });

  it('keeps multi-document YAML apart and TOML dates in TOML spelling', () => {
    const yaml = parseConfig('a: 1\n---\nb: 2\n', 'yaml');
    expect(yaml.kind === 'map' && { ...yaml.entries }).toEqual({ '[0].a': 1, '[1].b': 2 });
    const toml = parseConfig('day = 1979-05-27\nat = 1979-05-27T07:32:00Z\nbig = 9007199254740993\n', 'toml');
    expect(toml.kind === 'map' && { ...toml.entries }).toEqual({
      day: '1979-05-27',
      at: '1979-05-27T07:32:00.000Z',
      big: '9007199254740993',
    });
  });
});
