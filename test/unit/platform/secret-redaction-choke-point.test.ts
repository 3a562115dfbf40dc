/**
 * The worker's choke point (workers/secret-redaction.ts): failures are redacted in place, keeping what Temporal
 * reads from them (class, type, retry flag, cause chain); the logger wrapper redacts messages, fields, errors and
 * child bindings; every config load teaches the redactor the targets' passwords.
 */
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../domain/settings/schema.js';
import { createLogger } from '../../../platform/logger.js';
import { SecretRedactor } from '../../../platform/redact.js';
import { redactError, withSecretRedaction } from '../../../workers/secret-redaction.js';
import { configBackupSourceFromEnv } from '../../../capabilities/config-backup/services.js';

const SECRET = 'known-secret-42';

describe("the worker's secret choke point", () => {
  it('redacts a failure and its causes in place, keeping type and retry flag', () => {
    const cause = new Error(`inner ${SECRET}`);
    const failure = ApplicationFailure.create({ message: `outer ${SECRET} password=abc`, type: 'InvalidInput', nonRetryable: true, cause });
    const out = redactError(failure, new SecretRedactor([SECRET])) as ApplicationFailure;
    expect(out).toBe(failure);
    expect(out.message).toBe('outer *** password=***');
    expect(out.stack).not.toContain(SECRET);
    expect(out.nonRetryable).toBe(true);
    expect(out.type).toBe('InvalidInput');
    expect((out.cause as Error).message).toBe('inner ***');
  });

  it('wraps the logger and learns target passwords from each config load', async () => {
    let text = '';
    const sink = new Writable({
      write(chunk, _e, done) {
        text += String(chunk);
        done();
      },
    });
    const config = parseSettings({ targets: [{ name: 'db', kind: 'postgres', url: 'postgres://u:TargetPass-9@h/x' }] }, 'sentinel.yaml');
    const deps = withSecretRedaction(
      {
        db: undefined as never,
        backupDir: '/tmp',
        configBackup: configBackupSourceFromEnv(),
        log: createLogger(sink, 'info'),
        loadSettings: async () => config,
        alertWebhookUrl: 'https://hooks.example/SecretHookPath',
      },
      {},
    );
    expect(deps.redactor.redact('TargetPass-9')).toBe('TargetPass-9'); // not known before the config was read
    await deps.loadSettings();
    deps.log
      .child({ binding: 'TargetPass-9' })
      .warn({ detail: `x ${'TargetPass-9'}`, err: new Error('TargetPass-9') }, 'post to https://hooks.example/SecretHookPath failed');
    expect(text).toContain('failed');
    expect(text).not.toContain('TargetPass-9');
    expect(text).not.toContain('SecretHookPath');
  });
});
