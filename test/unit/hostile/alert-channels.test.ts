/**
 * sentinel.yaml's `alerts` section under hostile input: the schema on sections of the right shape with wrong
 * contents, and the channels' check against an environment of random values. Every refusal is a SettingsError; no
 * message ever echoes a variable's value (the secrets the channels reference).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveAlertChannels } from '../../../capabilities/alerts/channels.js';
import { SettingsError, parseSettings } from '../../../domain/settings/schema.js';
import { anyText, structuredButWrong } from './arbitraries.js';
import { RUNS_CHEAP } from './budgets.js';
import { expectClearOutcome, hostileParameters } from './expect-clear-error.js';

const VARS = ['A_URL', 'B_SECRET', 'C_KEY'];
const channel = structuredButWrong({
  name: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/), anyText(10)),
  kind: fc.constantFrom('webhook', 'slack', 'pagerduty', 'teams'),
  minSeverity: fc.constantFrom('info', 'warning', 'critical', 'fatal'),
  urlEnv: fc.constantFrom(...VARS, 'not a name'),
  secretEnv: fc.constantFrom(...VARS),
  routingKeyEnv: fc.constantFrom(...VARS),
  eventsUrl: fc.constantFrom('https://events.pagerduty.com/v2/enqueue', 'http://127.0.0.1:1/x', 'ftp://x', 'nope'),
  timeoutSeconds: fc.double({ min: -1, max: 60 }),
  maxAttempts: fc.integer({ min: -1, max: 9 }),
  url: fc.constantFrom('https://hooks.slack.com/services/T/B/X'),
});
const route = structuredButWrong({
  targets: fc.array(fc.constantFrom('orders-db', 'nope'), { maxLength: 2 }),
  severities: fc.array(fc.constantFrom('info', 'critical', 'loud'), { maxLength: 2 }),
  channels: fc.array(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 2 }),
});
const alerts = structuredButWrong({ channels: fc.array(channel, { maxLength: 4 }), routes: fc.array(route, { maxLength: 3 }) });

// Values long enough for the redactor, each with a marker a message must never contain.
const envValue = fc.oneof(
  fc.constantFrom('https://hooks.example.com/SECRETMARK-1', 'SECRETMARK-short', `SECRETMARK-${'k'.repeat(40)}`, 'ftp://SECRETMARK-host/x', ''),
  anyText(30).map((t) => `SECRETMARK-${t}`),
);
const env = fc.record({ A_URL: envValue, B_SECRET: envValue, C_KEY: envValue }, { requiredKeys: [] });

describe('alerts section of sentinel.yaml', () => {
  it(`is a config or a SettingsError naming fields under alerts (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(alerts, (section) => {
        const outcome = expectClearOutcome(() => parseSettings({ targets: [{ name: 'orders-db', kind: 'command', command: 'true' }], alerts: section }), {
          accept: [SettingsError],
        });
        if (outcome.ok) for (const c of outcome.value.alerts?.channels ?? []) expect(['webhook', 'slack', 'pagerduty']).toContain(c.kind);
        else expect((outcome.error as SettingsError).problems.every((p) => p.startsWith('alerts'))).toBe(true);
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });

  it(`checks channels against any environment without echoing a value (${RUNS_CHEAP} inputs)`, () => {
    fc.assert(
      fc.property(alerts, env, (section, values) => {
        const parsed = (() => {
          try {
            return parseSettings({ alerts: section });
          } catch {
            return undefined;
          }
        })();
        if (!parsed) return;
        const outcome = expectClearOutcome(() => resolveAlertChannels(parsed, values), { accept: [SettingsError] });
        if (!outcome.ok) {
          expect(outcome.error.message).not.toContain('SECRETMARK');
          expect((outcome.error as SettingsError).problems.length).toBeGreaterThan(0);
        } else {
          for (const c of outcome.value.channels) {
            if (c.kind === 'webhook') expect(Buffer.byteLength(c.secret ?? '')).toBeGreaterThanOrEqual(32);
            expect(c.url).toMatch(/^https?:\/\//);
          }
        }
      }),
      hostileParameters(RUNS_CHEAP),
    );
  });
});
