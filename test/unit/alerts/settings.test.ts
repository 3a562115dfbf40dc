import { describe, expect, it } from 'vitest';
import { ENV_WEBHOOK_CHANNEL, resolveAlertChannels, usableAlertChannels } from '../../../capabilities/alerts/channels.js';
import { parseSettings, SettingsError } from '../../../domain/settings/schema.js';
import { parseSentinelYaml } from '../../../domain/settings/sentinel-yaml.js';

const SECRET = 'a'.repeat(32);
const base = {
  targets: [{ name: 'orders-db', kind: 'command', command: 'true' }],
  alerts: {
    channels: [
      { name: 'hook', kind: 'webhook', urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' },
      { name: 'ops-slack', kind: 'slack', urlEnv: 'SLACK_URL', minSeverity: 'info' },
      { name: 'pager', kind: 'pagerduty', routingKeyEnv: 'PD_KEY', minSeverity: 'critical', eventsUrl: 'http://127.0.0.1:9/v2/enqueue' },
    ],
    routes: [{ targets: ['orders-db'], severities: ['critical'], channels: ['pager'] }],
  },
};
const env = { HOOK_URL: 'https://hooks.example.com/h', HOOK_SECRET: SECRET, SLACK_URL: 'https://hooks.slack.com/services/T/B/X', PD_KEY: 'R0UTINGKEY' };

/** The problems a settings load reports, one line each. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error('expected the settings to be refused');
}

describe('alerts.channels in sentinel.yaml (schema)', () => {
  it('accepts the three kinds with defaults and routes', () => {
    const settings = parseSettings(base);
    expect(settings.alerts?.channels.map((c) => [c.name, c.kind, c.minSeverity, c.timeoutSeconds, c.maxAttempts])).toEqual([
      ['hook', 'webhook', 'warning', 10, 3],
      ['ops-slack', 'slack', 'info', 10, 3],
      ['pager', 'pagerduty', 'critical', 10, 3],
    ]);
    expect(parseSettings({ alerts: { channels: [{ name: 'p', kind: 'pagerduty', routingKeyEnv: 'K' }] } }).alerts?.channels[0]).toMatchObject({
      eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
    });
  });

  it('refuses an unknown kind, naming the path', () => {
    const problems = problemsOf(() => parseSettings({ alerts: { channels: [{ name: 'x', kind: 'teams', urlEnv: 'U' }] } }));
    expect(problems).toEqual([expect.stringMatching(/^alerts\.channels\[0\]\.kind: .*webhook.*slack.*pagerduty/)]);
  });

  it('refuses inline secrets with the variable to use instead', () => {
    const problems = problemsOf(() =>
      parseSettings({
        alerts: {
          channels: [
            { name: 'x', kind: 'slack', urlEnv: 'U', url: 'https://hooks.slack.com/services/T/B/X' },
            { name: 'y', kind: 'pagerduty', routingKeyEnv: 'K', routingKey: 'abc' },
            { name: 'z', kind: 'webhook', urlEnv: 'U', secretEnv: 'S', secret: 'inline' },
          ],
        },
      }),
    );
    expect(problems).toEqual([
      'alerts.channels[0].url: inline secrets are refused: put the value in an environment variable and name it with `urlEnv`',
      'alerts.channels[1].routingKey: inline secrets are refused: put the value in an environment variable and name it with `routingKeyEnv`',
      'alerts.channels[2].secret: inline secrets are refused: put the value in an environment variable and name it with `secretEnv`',
    ]);
    // and the refused value is not echoed
    expect(problems.join('\n')).not.toContain('hooks.slack.com');
  });

  it('refuses a webhook without a signing secret, a bad variable name, an invalid events URL, duplicates and unknown route names', () => {
    const problems = problemsOf(() =>
      parseSettings({
        targets: [{ name: 'orders-db', kind: 'command', command: 'true' }],
        alerts: {
          channels: [
            { name: 'hook', kind: 'webhook', urlEnv: 'U' },
            { name: 'hook', kind: 'slack', urlEnv: 'not a name' },
            { name: 'pd', kind: 'pagerduty', routingKeyEnv: 'K', eventsUrl: 'ftp://x' },
          ],
          routes: [{ targets: ['orderz-db'], channels: ['pagr'] }],
        },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts\.channels\[0\]\.secretEnv: /),
        expect.stringMatching(/^alerts\.channels\[1\]\.urlEnv: must be the NAME of an environment variable/),
        expect.stringMatching(/^alerts\.channels\[2\]\.eventsUrl: must be an http/),
      ]),
    );
    // Cross-checks run once the shapes are valid.
    const routing = problemsOf(() =>
      parseSettings({
        targets: [{ name: 'orders-db', kind: 'command', command: 'true' }],
        alerts: {
          channels: [
            { name: 'a', kind: 'slack', urlEnv: 'U' },
            { name: 'a', kind: 'slack', urlEnv: 'V' },
          ],
          routes: [{ targets: ['orderz-db'], channels: ['pagr'] }],
        },
      }),
    );
    expect(routing).toEqual([
      'alerts.channels[1].name: duplicate channel name "a"',
      'alerts.routes[0].channels[0]: unknown channel "pagr"; configured channels: a',
      'alerts.routes[0].targets[0]: unknown target "orderz-db"',
    ]);
  });

  it('places a problem on its line in sentinel.yaml', () => {
    const yaml = ['alerts:', '  channels:', '    - name: x', '      kind: teams', '      urlEnv: U'].join('\n');
    expect(() => parseSentinelYaml(yaml)).toThrow(/alerts\.channels\[0\]\.kind: .*\(line 4\)/);
  });
});

describe('alert channels against the environment (checked when the worker starts)', () => {
  const settings = parseSettings(base);

  it('resolves every channel and the implicit ALERT_WEBHOOK_URL one', () => {
    const routing = resolveAlertChannels(settings, { ...env, ALERT_WEBHOOK_URL: 'http://127.0.0.1:1/legacy' });
    expect(routing.channels.map((c) => [c.name, c.kind, c.url, !!c.secret, c.routingKey])).toEqual([
      ['hook', 'webhook', env.HOOK_URL, true, undefined],
      ['ops-slack', 'slack', env.SLACK_URL, false, undefined],
      ['pager', 'pagerduty', 'http://127.0.0.1:9/v2/enqueue', false, 'R0UTINGKEY'],
      [ENV_WEBHOOK_CHANNEL, 'webhook', 'http://127.0.0.1:1/legacy', false, undefined],
    ]);
    expect(routing.routes).toHaveLength(1);
  });

  it('refuses a missing variable, an invalid URL and a short signing secret, naming the path and never the value', () => {
    const problems = problemsOf(() =>
      resolveAlertChannels(settings, { HOOK_URL: 'not a url secret-value', HOOK_SECRET: 'short-secret-value', PD_KEY: 'k' }, 'sentinel.yaml'),
    );
    expect(problems).toEqual([
      'alerts.channels[0].urlEnv: environment variable HOOK_URL does not hold an http:// or https:// URL',
      'alerts.channels[0].secretEnv: the signing secret in HOOK_SECRET is 18 bytes; it must be at least 32 (e.g. `openssl rand -hex 32`)',
      'alerts.channels[1].urlEnv: environment variable SLACK_URL is not set',
    ]);
    expect(problems.join('\n')).not.toMatch(/secret-value/);
  });

  it('at delivery time, skips only the broken channels (sentinel.yaml edited after the worker started)', () => {
    const { channels, problems } = usableAlertChannels(settings, { ...env, SLACK_URL: undefined });
    expect(channels.map((c) => c.name)).toEqual(['hook', 'pager']);
    expect(problems).toEqual(['alerts.channels[1].urlEnv: environment variable SLACK_URL is not set']);
  });

  it('checks ALERT_WEBHOOK_URL and its optional ALERT_WEBHOOK_SECRET too', () => {
    const none = parseSettings({});
    expect(problemsOf(() => resolveAlertChannels(none, { ALERT_WEBHOOK_URL: 'nope' }))).toEqual([
      'ALERT_WEBHOOK_URL: environment variable ALERT_WEBHOOK_URL does not hold an http:// or https:// URL',
    ]);
    expect(problemsOf(() => resolveAlertChannels(none, { ALERT_WEBHOOK_URL: 'http://x/h', ALERT_WEBHOOK_SECRET: 'short' }))[0]).toMatch(
      /^ALERT_WEBHOOK_SECRET: the signing secret in ALERT_WEBHOOK_SECRET is 5 bytes/,
    );
    expect(resolveAlertChannels(none, { ALERT_WEBHOOK_URL: 'http://x/h', ALERT_WEBHOOK_SECRET: SECRET }).channels[0]?.secret).toBe(SECRET);
    expect(resolveAlertChannels(none, {}).channels).toEqual([]);
  });
});

describe('sentinel.example.yaml alerts section', () => {
  it('is valid with its commented-out channels and routes put back', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync('sentinel.example.yaml', 'utf8');
    const section = text.slice(text.indexOf('\nalerts:'));
    const uncommented = section
      .split('\n')
      .filter((line) => !/^ {2}(channels|routes): \[\]$/.test(line))
      .map((line) => line.replace(/^ {2}# /, '  '))
      .join('\n');
    const settings = parseSentinelYaml(`targets:\n  - { name: orders-db, kind: command, command: "true" }\n${uncommented}`);
    expect(settings.alerts?.channels.map((c) => c.kind)).toEqual(['slack', 'pagerduty', 'webhook']);
    expect(settings.alerts?.routes).toHaveLength(1);
  });
});
