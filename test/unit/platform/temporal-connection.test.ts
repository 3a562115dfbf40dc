import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientConnectionOptions,
  describeConnection,
  namesAnAddress,
  nativeConnectionOptions,
  resolveConnectionSettings,
  type ResolveOptions,
} from '../../../platform/temporal-connection.js';
import { ConnectionSettingsError } from '../../../platform/temporal-connection-errors.js';
import { splitAddress } from '../../../platform/temporal-transport-probe.js';
import { createTestPki, type TestPki } from '../../helpers/test-pki.js';

// Settings resolution as the worker, the CLI and SentinelClient do it: profile file < TEMPORAL_* < flags, and every
// unusable setting refused up front with one line naming it. Real files, real certificates (openssl), no server.

const API_KEY = 'tmprl-test-key-9f8e7d6c5b4a';
let dir: string;
let pki: TestPki;
let profileFile: string;
/** An environment with nothing of the developer's: no HOME profile file, no TEMPORAL_* of theirs. */
let base: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sentinel-conn-unit-'));
  pki = createTestPki(dir);
  profileFile = path.join(dir, 'temporal.toml');
  writeFileSync(
    profileFile,
    [
      '[profile.default]',
      'address = "default.example:7233"',
      'namespace = "from-default"',
      '',
      '[profile.prod]',
      'address = "prod.example:7233"',
      'namespace = "from-prod"',
      '[profile.prod.tls]',
      `client_cert_path = "${pki.clientCert}"`,
      `client_key_path = "${pki.clientKey}"`,
      `server_ca_cert_path = "${pki.caCert}"`,
      'server_name = "prod.internal"',
      '',
      '[profile.cloud]',
      'address = "ns.acct.tmprl.cloud:7233"',
      'namespace = "ns.acct"',
      `api_key = "${API_KEY}"`,
      '',
      '[profile.emptykey]',
      'address = "ns.acct.tmprl.cloud:7233"',
      'api_key = ""',
      '',
    ].join('\n'),
  );
  base = { HOME: path.join(dir, 'home'), TEMPORAL_CONFIG_FILE: profileFile };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The TLS options of settings that must have TLS on. */
function tlsOf(settings: { tls: TLSConfig | false }): TLSConfig {
  if (!settings.tls) throw new Error('expected TLS to be on');
  return settings.tls;
}

const resolve = (env: Record<string, string | undefined>, rest: Omit<ResolveOptions, 'env'> = {}) =>
  resolveConnectionSettings({ env: { ...base, ...env }, ...rest });

/** The message of the ConnectionSettingsError these settings raise. */
function refusal(env: Record<string, string | undefined>, rest: Omit<ResolveOptions, 'env'> = {}): string {
  try {
    resolve(env, rest);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectionSettingsError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).not.toContain(API_KEY);
    expect(message).not.toMatch(/BEGIN|PRIVATE KEY|MII/);
    return message;
  }
  throw new Error('expected a ConnectionSettingsError');
}

describe('precedence: flags over TEMPORAL_* over the profile file', () => {
  it('takes the default profile when nothing else is set', () => {
    const settings = resolve({});
    expect(settings).toMatchObject({ address: 'default.example:7233', namespace: 'from-default', tls: false, tlsMode: 'off', profile: 'default' });
    expect(settings.sources.address).toBe(`address of profile "default" in ${profileFile}`);
    expect(namesAnAddress(settings)).toBe(true);
  });

  it('lets TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE override the profile, and flags override both', () => {
    const env = { TEMPORAL_ADDRESS: 'env.example:7233', TEMPORAL_NAMESPACE: 'from-env' };
    expect(resolve(env)).toMatchObject({
      address: 'env.example:7233',
      namespace: 'from-env',
      sources: { address: 'TEMPORAL_ADDRESS', namespace: 'TEMPORAL_NAMESPACE' },
    });
    expect(resolve(env, { overrides: { address: 'flag.example:7233', namespace: 'from-flag' } })).toMatchObject({
      address: 'flag.example:7233',
      namespace: 'from-flag',
      sources: { address: '--address', namespace: '--namespace' },
    });
  });

  it('picks the profile by --profile over TEMPORAL_PROFILE, with its TLS files', () => {
    const settings = resolve({ TEMPORAL_PROFILE: 'cloud' }, { overrides: { profile: 'prod' } });
    expect(settings).toMatchObject({ address: 'prod.example:7233', namespace: 'from-prod', tlsMode: 'mtls', profile: 'prod' });
    expect(tlsOf(settings).serverNameOverride).toBe('prod.internal');
    expect(Buffer.from(tlsOf(settings).serverRootCACertificate!).equals(readFileSync(pki.caCert))).toBe(true);
    expect(Buffer.from(tlsOf(settings).clientCertPair!.crt).equals(readFileSync(pki.clientCert))).toBe(true);
    expect(settings.sources).toMatchObject({ profile: '--profile', clientCert: `tls.client_cert_path of profile "prod" in ${profileFile}` });
    expect(resolve({ TEMPORAL_PROFILE: 'cloud' })).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', profile: 'cloud' });
  });

  it('lets a variable replace one TLS file of the profile, and a flag replace the variable', () => {
    const fromEnv = resolve({ TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.otherCaCert });
    expect(fromEnv.sources.serverCa).toBe('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    expect(Buffer.from(tlsOf(fromEnv).serverRootCACertificate!).equals(readFileSync(pki.otherCaCert))).toBe(true);
    const fromFlag = resolve({ TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.otherCaCert }, { overrides: { tlsCaPath: pki.caCert } });
    expect(fromFlag.sources.serverCa).toBe('--tls-ca-path');
    expect(Buffer.from(tlsOf(fromFlag).serverRootCACertificate!).equals(readFileSync(pki.caCert))).toBe(true);
  });

  it('turns TLS off with --no-tls or TEMPORAL_TLS=false even when the profile has TLS, and on with --tls', () => {
    expect(resolve({ TEMPORAL_PROFILE: 'prod' }, { overrides: { tls: false } })).toMatchObject({ tls: false, tlsMode: 'off', sources: { tls: '--no-tls' } });
    expect(resolve({ TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS: 'false' })).toMatchObject({ tls: false, sources: { tls: 'TEMPORAL_TLS' } });
    expect(resolve({}, { overrides: { tls: true } })).toMatchObject({ tls: {}, tlsMode: 'tls', sources: { tls: '--tls' } });
  });

  it('without a profile file or any setting: the local service address, else 127.0.0.1:7233, plaintext, namespace default', () => {
    const none = { TEMPORAL_CONFIG_FILE: undefined };
    expect(resolve(none)).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', tls: false, profile: undefined, sources: { address: 'default' } });
    const local = resolve(none, { fallbackAddress: '127.0.0.1:17233' });
    expect(local.address).toBe('127.0.0.1:17233');
    expect(namesAnAddress(local)).toBe(false);
    // Blank variables count as unset (the project's rule), except an empty API key, which is refused below.
    expect(resolve({ ...none, TEMPORAL_ADDRESS: ' ', TEMPORAL_TLS_CLIENT_CERT_PATH: '' })).toMatchObject({ address: '127.0.0.1:7233', tls: false });
  });
});

describe('API keys', () => {
  it('sends the key as the SDK bearer token and turns TLS on, for the client and the worker alike', () => {
    const settings = resolve({ TEMPORAL_CONFIG_FILE: undefined, TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: `${API_KEY}\n` });
    expect(settings).toMatchObject({ apiKey: API_KEY, tls: {}, tlsMode: 'tls', sources: { apiKey: 'TEMPORAL_API_KEY' } });
    // The SDK turns `apiKey` into the `authorization: Bearer <key>` header of every call (test/integration/temporal-tls.test.ts sees it on the wire).
    expect(clientConnectionOptions(settings, 5000)).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', apiKey: API_KEY, tls: {}, connectTimeout: 5000 });
    expect(nativeConnectionOptions(settings)).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', apiKey: API_KEY, tls: {} });
    expect(resolve({ TEMPORAL_PROFILE: 'cloud' }, { overrides: { apiKey: 'other-key' } })).toMatchObject({
      apiKey: 'other-key',
      sources: { apiKey: '--api-key' },
    });
    expect(resolve({ TEMPORAL_PROFILE: 'cloud' }, { overrides: { tls: false } })).toMatchObject({ apiKey: API_KEY, tls: false });
  });

  it('never shows the key or key material in what may be logged', () => {
    const settings = resolve({ TEMPORAL_PROFILE: 'cloud' });
    expect(describeConnection(settings)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', tls: 'tls', apiKey: 'set', profile: 'cloud' });
    const mtls = JSON.stringify(describeConnection(resolve({ TEMPORAL_PROFILE: 'prod' })));
    expect(mtls).not.toMatch(/BEGIN|PRIVATE/);
    expect(mtls).toContain('"tls":"mtls"');
  });
});

describe('bad input: one line naming the setting', () => {
  it('refuses an empty API key from a variable, a flag or a profile', () => {
    expect(refusal({ TEMPORAL_API_KEY: '' })).toBe('TEMPORAL_API_KEY is set but empty: set it to your API key, or unset it');
    expect(refusal({ TEMPORAL_API_KEY: '  ' })).toBe('TEMPORAL_API_KEY is set but empty: set it to your API key, or unset it');
    expect(refusal({}, { overrides: { apiKey: '' } })).toBe('--api-key is empty: give a value or leave the flag out');
    expect(refusal({ TEMPORAL_PROFILE: 'emptykey' })).toBe(`api_key of profile "emptykey" in ${profileFile} is empty: set it to your API key, or remove it`);
  });

  it('refuses a profile that does not exist, listing the ones there', () => {
    expect(refusal({ TEMPORAL_PROFILE: 'staging' })).toBe(
      `profile "staging" (from TEMPORAL_PROFILE) not found in ${profileFile}; profiles there: default, prod, cloud, emptykey`,
    );
    expect(refusal({ TEMPORAL_CONFIG_FILE: undefined }, { overrides: { profile: 'prod' } })).toBe(
      `profile "prod" (from --profile) not found in ${path.join(dir, 'home', '.config', 'temporalio', 'temporal.toml')} (no such file)`,
    );
    expect(refusal({ TEMPORAL_CONFIG_FILE: path.join(dir, 'nope.toml') })).toBe(
      `TEMPORAL_CONFIG_FILE names ${path.join(dir, 'nope.toml')}, which does not exist`,
    );
  });

  it('takes an empty profile file (no [profile.*] table) as no profile, as the temporal CLI does', () => {
    const empty = path.join(dir, 'empty.toml');
    writeFileSync(empty, '');
    expect(resolve({ TEMPORAL_CONFIG_FILE: empty, TEMPORAL_ADDRESS: 'env.example:7233' })).toMatchObject({ address: 'env.example:7233', profile: undefined });
    expect(refusal({ TEMPORAL_CONFIG_FILE: empty, TEMPORAL_PROFILE: 'prod' })).toBe(`profile "prod" (from TEMPORAL_PROFILE) not found in ${empty}`);
  });

  it('refuses a profile file that is not TOML without quoting it (it may hold an API key)', () => {
    const broken = path.join(dir, 'broken.toml');
    writeFileSync(broken, `[profile.default]\napi_key = "${API_KEY}\n`);
    expect(refusal({ TEMPORAL_CONFIG_FILE: broken })).toBe(`${broken} is not valid TOML (line 2)`);
  });

  it('refuses missing and unreadable certificate and key files, naming the flag or variable', () => {
    const missing = path.join(dir, 'missing.pem');
    expect(refusal({}, { overrides: { tlsCertPath: missing, tlsKeyPath: pki.clientKey } })).toBe(
      `cannot read the client certificate ${missing} (--tls-cert-path): no such file`,
    );
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: missing })).toBe(
      `cannot read the client key ${missing} (TEMPORAL_TLS_CLIENT_KEY_PATH): no such file`,
    );
    // Root reads any file whatever its mode (the tests run as root), so a directory stands for an unreadable path.
    const aDirectory = path.join(dir, 'a-directory');
    mkdirSync(aDirectory, { recursive: true });
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: aDirectory })).toBe(
      `cannot read the server CA certificate ${aDirectory} (TEMPORAL_TLS_SERVER_CA_CERT_PATH): it is a directory`,
    );
    expect(refusal({}, { overrides: { tlsCaPath: ' ' } })).toBe('--tls-ca-path is empty: give a value or leave the flag out');
  });

  it('refuses files that hold no PEM certificate or key, without quoting them', () => {
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.clientKey })).toBe('TEMPORAL_TLS_SERVER_CA_CERT_PATH does not hold a PEM server CA certificate');
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientKey, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey })).toBe(
      'TEMPORAL_TLS_CLIENT_CERT_PATH does not hold a PEM client certificate',
    );
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientCert })).toBe(
      'TEMPORAL_TLS_CLIENT_KEY_PATH does not hold a PEM private key',
    );
  });

  it('refuses a certificate without its key, a key of another certificate, and an expired certificate', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert })).toBe(
      'TEMPORAL_TLS_CLIENT_CERT_PATH is set but no client key is: set TEMPORAL_TLS_CLIENT_KEY_PATH (or --tls-key-path) too',
    );
    expect(refusal({}, { overrides: { tlsKeyPath: pki.clientKey } })).toBe(
      '--tls-key-path is set but no client certificate is: set TEMPORAL_TLS_CLIENT_CERT_PATH (or --tls-cert-path) too',
    );
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerKey })).toBe(
      'the client key (TEMPORAL_TLS_CLIENT_KEY_PATH) does not belong to the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)',
    );
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    expect(refusal({ TEMPORAL_PROFILE: 'prod' }, { now: inThreeDays })).toMatch(
      new RegExp(
        `^the client certificate in tls\\.client_cert_path of profile "prod" in ${profileFile.replace(/[.]/g, '\\.')} expired on \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
  });

  it('refuses a TEMPORAL_TLS that is neither true nor false (envconfig would read it as false)', () => {
    expect(refusal({ TEMPORAL_TLS: 'yes' })).toBe('TEMPORAL_TLS must be true or false (got "yes")');
    expect(resolve({ TEMPORAL_TLS: '1' })).toMatchObject({ tlsMode: 'tls' });
  });

  it('refuses an address that is not host:port', () => {
    expect(refusal({}, { overrides: { address: 'http://temporal:7233' } })).toBe(
      '--address must be host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233 (got "http://temporal:7233")',
    );
  });
});

describe('addresses', () => {
  it('splits host and port the way gRPC does, default port 7233', () => {
    expect(splitAddress('127.0.0.1:7233')).toEqual({ host: '127.0.0.1', port: 7233 });
    expect(splitAddress('[::1]:7234')).toEqual({ host: '::1', port: 7234 });
    expect(splitAddress('ns.acct.tmprl.cloud')).toEqual({ host: 'ns.acct.tmprl.cloud', port: 7233 });
  });
});
