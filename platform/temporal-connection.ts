/**
 * Where every Temporal connection of the project gets its settings: the SDK's environment configuration
 * (`@temporalio/envconfig`: the TOML profile file shared with the `temporal` CLI, then the TEMPORAL_* variables over
 * it), then the caller's overrides (the CLI's `--address`, `--tls-cert-path`, ... flags, or SentinelClient's options)
 * over both. The result feeds `Connection.connect` (clients) and `NativeConnection.connect` (workers) alike.
 *
 * On top of the SDK it checks what the SDK would only report as a connection failure, or not at all: files that are
 * missing or unreadable, PEM that does not parse, an expired client certificate, a key that does not match its
 * certificate, a certificate without its key, an empty API key, a profile that does not exist. Each is one
 * ConnectionSettingsError naming the setting (flag, variable or profile field) it came from; no message carries
 * key material or the API key.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection as ClientConnection, ConnectionOptions, TLSConfig } from '@temporalio/client';
import type { ClientConfigProfile, ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { requireCommonJs } from './commonjs.js';
import { DEFAULT_TEMPORAL_ADDRESS } from './env.js';
import { ConnectionSettingsError, TemporalConnectError } from './temporal-connection-errors.js';

const { Connection } = requireCommonJs('@temporalio/client') as typeof import('@temporalio/client');
const { loadClientConfig, loadClientConfigProfile } = requireCommonJs('@temporalio/envconfig') as typeof import('@temporalio/envconfig');

/** What a caller may set over the environment and the profile: the CLI's global flags, SentinelClient's options. */
export interface ConnectionOverrides {
  address?: string | undefined;
  namespace?: string | undefined;
  apiKey?: string | undefined;
  /** true: TLS on (server CA from the system unless a CA is given); false: plaintext even if the profile says TLS. */
  tls?: boolean | undefined;
  tlsCertPath?: string | undefined;
  tlsKeyPath?: string | undefined;
  tlsCaPath?: string | undefined;
  tlsServerName?: string | undefined;
  profile?: string | undefined;
}

export type TlsMode = 'off' | 'tls' | 'mtls';

/** Resolved, checked settings. `tls` and `apiKey` hold secrets: log `describeConnection(settings)`, never this. */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  tls: TLSConfig | false;
  tlsMode: TlsMode;
  apiKey: string | undefined;
  metadata: Record<string, string> | undefined;
  /** Where each setting came from, for messages: e.g. `--address`, `TEMPORAL_ADDRESS`, `profile "prod" (file)`. */
  sources: Partial<Record<SettingKey, string>>;
  /** The profile file read (it may not exist) and the profile used, if any. */
  configFile: string | undefined;
  profile: string | undefined;
}

export interface ResolveOptions {
  env?: Readonly<Record<string, string | undefined>>;
  overrides?: ConnectionOverrides;
  /** Address when none of flags, environment and profile names one (e.g. the local `npm start` service's). */
  fallbackAddress?: string | undefined;
  now?: Date;
}

type SettingKey = 'address' | 'namespace' | 'apiKey' | 'tls' | 'clientCert' | 'clientKey' | 'serverCa' | 'serverName' | 'profile';

/** The flag, the variable and the profile field of each setting, so a message names the one the user set. */
const NAMES: Record<SettingKey, { flag: string; env: string; dataEnv?: string; toml: string; dataToml?: string }> = {
  address: { flag: '--address', env: 'TEMPORAL_ADDRESS', toml: 'address' },
  namespace: { flag: '--namespace', env: 'TEMPORAL_NAMESPACE', toml: 'namespace' },
  apiKey: { flag: '--api-key', env: 'TEMPORAL_API_KEY', toml: 'api_key' },
  tls: { flag: '--tls', env: 'TEMPORAL_TLS', toml: 'tls.disabled' },
  clientCert: {
    flag: '--tls-cert-path',
    env: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
    dataEnv: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
    toml: 'tls.client_cert_path',
    dataToml: 'tls.client_cert_data',
  },
  clientKey: {
    flag: '--tls-key-path',
    env: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
    dataEnv: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
    toml: 'tls.client_key_path',
    dataToml: 'tls.client_key_data',
  },
  serverCa: {
    flag: '--tls-ca-path',
    env: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    dataEnv: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
    toml: 'tls.server_ca_cert_path',
    dataToml: 'tls.server_ca_cert_data',
  },
  serverName: { flag: '--tls-server-name', env: 'TEMPORAL_TLS_SERVER_NAME', toml: 'tls.server_name' },
  profile: { flag: '--profile', env: 'TEMPORAL_PROFILE', toml: '' },
};

/** The variables envconfig reads that an empty value should leave unset (the project's rule for blank variables). */
const BLANK_MEANS_UNSET = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
];

/** Flags, then environment, then profile file, then `fallbackAddress`, then the local default: checked, or a ConnectionSettingsError. */
export function resolveConnectionSettings(options: ResolveOptions = {}): TemporalConnectionSettings {
  const overrides = options.overrides ?? {};
  const env = envForConfig(options.env ?? process.env);
  for (const key of ['address', 'namespace', 'profile', 'tlsCertPath', 'tlsKeyPath', 'tlsCaPath', 'tlsServerName', 'apiKey'] as const) {
    const value = overrides[key];
    if (value !== undefined && value.trim() === '') throw new ConnectionSettingsError(`${flagOf(key)} is empty: give a value or leave the flag out`);
  }
  // envconfig reads anything but `1` / `true` as false: a typo would silently turn TLS off.
  if (env.TEMPORAL_TLS !== undefined && !/^(1|0|true|false)$/.test(env.TEMPORAL_TLS.trim()))
    throw new ConnectionSettingsError(`TEMPORAL_TLS must be true or false (got "${env.TEMPORAL_TLS.slice(0, 20)}")`);
  if (env.TEMPORAL_TLS !== undefined) env.TEMPORAL_TLS = env.TEMPORAL_TLS.trim();
  if (env.TEMPORAL_API_KEY !== undefined && env.TEMPORAL_API_KEY.trim() === '')
    throw new ConnectionSettingsError('TEMPORAL_API_KEY is set but empty: set it to your API key, or unset it');

  const configFile = env.TEMPORAL_CONFIG_FILE ?? defaultConfigFile(env);
  if (env.TEMPORAL_CONFIG_FILE !== undefined && !existsSync(env.TEMPORAL_CONFIG_FILE))
    throw new ConnectionSettingsError(`TEMPORAL_CONFIG_FILE names ${env.TEMPORAL_CONFIG_FILE}, which does not exist`);
  const profileName = overrides.profile?.trim() ?? env.TEMPORAL_PROFILE;
  const profileSource = overrides.profile !== undefined ? '--profile' : env.TEMPORAL_PROFILE !== undefined ? 'TEMPORAL_PROFILE' : undefined;
  const fileProfile = loadProfile({ env, configFile, profileName, profileSource, disableEnv: true });
  const profile = loadProfile({ env, configFile, profileName, profileSource, disableEnv: false });
  const usedProfile = profileName ?? (configFile && fileHasProfile(env, configFile, 'default') ? 'default' : undefined);
  const inProfile = (field: string) => `${field} of profile "${usedProfile ?? 'default'}" in ${configFile}`;

  const sources: TemporalConnectionSettings['sources'] = {};
  /** Where a setting's value came from: flag over variable over profile field. */
  const sourceOf = (key: SettingKey, flagSet: boolean, fromFile: unknown, data = false): string | undefined => {
    const names = NAMES[key];
    if (flagSet) return names.flag;
    const envName = data && names.dataEnv ? names.dataEnv : names.env;
    if (env[envName] !== undefined) return envName;
    if (fromFile !== undefined) return inProfile(data && names.dataToml ? names.dataToml : names.toml);
    return undefined;
  };

  const address = overrides.address?.trim() ?? profile.address;
  sources.address =
    sourceOf('address', overrides.address !== undefined, fileProfile.address) ?? (options.fallbackAddress ? 'the local service (npm start)' : 'default');
  const namespace = overrides.namespace?.trim() ?? profile.namespace ?? 'default';
  sources.namespace = sourceOf('namespace', overrides.namespace !== undefined, fileProfile.namespace) ?? 'default';
  const apiKeyRaw = overrides.apiKey ?? profile.apiKey;
  if (apiKeyRaw !== undefined) {
    sources.apiKey = sourceOf('apiKey', overrides.apiKey !== undefined, fileProfile.apiKey)!;
    if (apiKeyRaw.trim() === '') throw new ConnectionSettingsError(`${sources.apiKey} is empty: set it to your API key, or remove it`);
  }
  const apiKey = apiKeyRaw?.trim();
  if (profileSource) sources.profile = profileSource;

  // TLS: the profile's table with the variables over it (envconfig), then the flags over both.
  const tls = { ...profile.tls };
  const fileTls = fileProfile.tls ?? {};
  const material = (
    key: 'clientCert' | 'clientKey' | 'serverCa',
    flagPath: string | undefined,
    from: ConfigDataSource | undefined,
    fromFile: ConfigDataSource | undefined,
  ) => {
    if (flagPath !== undefined) return { source: { path: flagPath.trim() } as ConfigDataSource, name: NAMES[key].flag };
    if (!from) return undefined;
    const data = 'data' in from;
    return { source: from, name: sourceOf(key, false, fromFile, data)! };
  };
  const clientCert = material('clientCert', overrides.tlsCertPath, tls.clientCert, fileTls.clientCert);
  const clientKey = material('clientKey', overrides.tlsKeyPath, tls.clientKey, fileTls.clientKey);
  const serverCa = material('serverCa', overrides.tlsCaPath, tls.serverCACert, fileTls.serverCACert);
  const serverName = overrides.tlsServerName?.trim() ?? tls.serverName;
  if (serverName !== undefined) sources.serverName = sourceOf('serverName', overrides.tlsServerName !== undefined, fileTls.serverName)!;

  let tlsOn: boolean;
  if (overrides.tls !== undefined) {
    tlsOn = overrides.tls;
    sources.tls = overrides.tls ? '--tls' : '--no-tls';
  } else if (tls.disabled !== undefined) {
    tlsOn = !tls.disabled;
    sources.tls = sourceOf('tls', false, fileTls.disabled)!;
  } else {
    // As envconfig and the `temporal` CLI do: any TLS setting, or an API key (Temporal Cloud), turns TLS on.
    tlsOn = Boolean(clientCert || clientKey || serverCa || serverName !== undefined || apiKey !== undefined || profile.tls);
  }

  let tlsConfig: TLSConfig | false = false;
  let tlsMode: TlsMode = 'off';
  if (tlsOn) {
    if (clientCert && !clientKey)
      throw new ConnectionSettingsError(`${clientCert.name} is set but no client key is: set ${NAMES.clientKey.env} (or ${NAMES.clientKey.flag}) too`);
    if (clientKey && !clientCert)
      throw new ConnectionSettingsError(`${clientKey.name} is set but no client certificate is: set ${NAMES.clientCert.env} (or ${NAMES.clientCert.flag}) too`);
    const now = options.now ?? new Date();
    const ca = serverCa ? readPem(serverCa.source, serverCa.name, 'server CA certificate') : undefined;
    if (ca && serverCa) parseCertificate(ca, serverCa.name, 'server CA certificate', undefined);
    tlsConfig = { ...(serverName !== undefined ? { serverNameOverride: serverName } : {}), ...(ca ? { serverRootCACertificate: ca } : {}) };
    tlsMode = 'tls';
    if (clientCert && clientKey) {
      const crt = readPem(clientCert.source, clientCert.name, 'client certificate');
      const key = readPem(clientKey.source, clientKey.name, 'client key');
      const certificate = parseCertificate(crt, clientCert.name, 'client certificate', now);
      let privateKey: ReturnType<typeof createPrivateKey>;
      try {
        privateKey = createPrivateKey(key);
      } catch {
        throw new ConnectionSettingsError(`${clientKey.name} does not hold a PEM private key`);
      }
      if (!certificate.checkPrivateKey(privateKey))
        throw new ConnectionSettingsError(`the client key (${clientKey.name}) does not belong to the client certificate (${clientCert.name})`);
      tlsConfig.clientCertPair = { crt, key };
      tlsMode = 'mtls';
    }
    for (const [key, value] of [
      ['clientCert', clientCert],
      ['clientKey', clientKey],
      ['serverCa', serverCa],
    ] as const)
      if (value) sources[key] = value.name;
  }

  const finalAddress = address ?? options.fallbackAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(:\d{1,5})?$/.test(finalAddress))
    throw new ConnectionSettingsError(`${sources.address} must be host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233 (got "${finalAddress}")`);
  return {
    address: finalAddress,
    namespace,
    tls: tlsConfig,
    tlsMode,
    apiKey,
    metadata: profile.grpcMeta,
    sources,
    configFile,
    profile: usedProfile,
  };
}

/** Options for `Connection.connect` (the client library, grpc-js). */
export function clientConnectionOptions(settings: TemporalConnectionSettings, connectTimeoutMs: number): ConnectionOptions {
  return {
    address: settings.address,
    tls: settings.tls,
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
    connectTimeout: connectTimeoutMs,
  };
}

/** Options for `NativeConnection.connect` (workers, the Rust core). */
export function nativeConnectionOptions(settings: TemporalConnectionSettings): NativeConnectionOptions {
  return {
    address: settings.address,
    tls: settings.tls,
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
  };
}

/** What may be logged or printed about a connection: no key material, no API key. */
export function describeConnection(settings: TemporalConnectionSettings): {
  address: string;
  namespace: string;
  tls: TlsMode;
  apiKey: 'set' | 'none';
  profile?: string;
} {
  return {
    address: settings.address,
    namespace: settings.namespace,
    tls: settings.tlsMode,
    apiKey: settings.apiKey === undefined ? 'none' : 'set',
    ...(settings.profile ? { profile: settings.profile } : {}),
  };
}

/** Whether flags, environment or a profile name an address (else `npm start` runs its own dev server). */
export function namesAnAddress(settings: TemporalConnectionSettings): boolean {
  return settings.sources.address !== 'default' && settings.sources.address !== 'the local service (npm start)';
}

function flagOf(key: keyof ConnectionOverrides): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A copy of the environment for envconfig: no undefined values, blank TLS/address variables unset. */
function envForConfig(source: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined) env[key] = value;
  for (const key of BLANK_MEANS_UNSET) if (env[key] !== undefined && env[key].trim() === '') delete env[key];
  for (const key of Object.keys(env)) if (key.startsWith('TEMPORAL_GRPC_META_') && env[key] === '') delete env[key];
  return env;
}

/** The file envconfig reads without TEMPORAL_CONFIG_FILE (Linux and macOS layouts; for messages). */
function defaultConfigFile(env: Record<string, string>): string | undefined {
  const base =
    os.platform() === 'darwin'
      ? env.HOME && path.join(env.HOME, 'Library', 'Application Support')
      : env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
        ? env.XDG_CONFIG_HOME
        : env.HOME && path.join(env.HOME, '.config');
  return base ? path.join(base, 'temporalio', 'temporal.toml') : undefined;
}

function loadProfile(options: {
  env: Record<string, string>;
  configFile: string | undefined;
  profileName: string | undefined;
  profileSource: string | undefined;
  disableEnv: boolean;
}): ClientConfigProfile {
  const { env, configFile, profileName, profileSource } = options;
  try {
    // envconfig 1.24 fails with a TypeError on a profile file without any [profile.*] table (e.g. an empty one): such
    // a file holds no profile, so only the environment counts, as without a file.
    if (configFile && existsSync(configFile) && !hasProfileTable(configFile)) {
      if (profileName) throw new Error(`Profile '${profileName}' not found in config data`);
      return options.disableEnv ? {} : loadClientConfigProfile({ overrideEnvVars: env, disableFile: true });
    }
    return loadClientConfigProfile({ ...(profileName ? { profile: profileName } : {}), overrideEnvVars: env, disableEnv: options.disableEnv });
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (/^Profile '.*' not found/.test(message)) {
      const known = configFile && existsSync(configFile) && hasProfileTable(configFile) ? Object.keys(loadClientConfig({ overrideEnvVars: env }).profiles) : [];
      const where = configFile ? (existsSync(configFile) ? configFile : `${configFile} (no such file)`) : 'no profile file (HOME is not set)';
      throw new ConnectionSettingsError(
        `profile "${profileName}" (from ${profileSource}) not found in ${where}${known.length ? `; profiles there: ${known.join(', ')}` : ''}`,
      );
    }
    throw new ConnectionSettingsError(profileFileProblem(error as Error & { code?: string; line?: number }, configFile));
  }
}

/**
 * A profile file that cannot be used, in one line. The TOML parser's own message quotes the offending line, which
 * may hold an API key: only its line number is kept.
 */
function profileFileProblem(error: Error & { code?: string; line?: number }, configFile: string | undefined): string {
  const file = configFile ?? 'the Temporal profile file';
  if (error.code === 'EACCES') return `cannot read ${file}: permission denied`;
  if (error.code === 'EISDIR') return `cannot read ${file}: it is a directory`;
  if (error.name === 'TomlError' || typeof error.line === 'number') return `${file} is not valid TOML (line ${error.line ?? '?'})`;
  if (/^Cannot specify both/.test(error.message)) return `${file}: ${error.message}`;
  return `cannot use ${file}: ${error.code ?? error.name}`;
}

/** Whether the file parses to a TOML document with a `profile` table (parse errors are reported by envconfig's own read). */
function hasProfileTable(configFile: string): boolean {
  // The CommonJS build, which envconfig loads too (and the CLI's start-up snapshot bundles): one file, not nine modules.
  const { parse: parseToml } = requireCommonJs('smol-toml') as typeof import('smol-toml');
  try {
    const parsed = parseToml(readFileSync(configFile, 'utf8'));
    return typeof parsed.profile === 'object' && parsed.profile !== null;
  } catch {
    return true;
  }
}

function fileHasProfile(env: Record<string, string>, configFile: string, name: string): boolean {
  if (!existsSync(configFile) || !hasProfileTable(configFile)) return false;
  try {
    return name in loadClientConfig({ overrideEnvVars: env }).profiles;
  } catch {
    return false;
  }
}

function readPem(source: ConfigDataSource, name: string, what: string): Buffer {
  if ('data' in source) return Buffer.from(source.data);
  if (source.path === '') throw new ConnectionSettingsError(`${name} is empty: give the path of the ${what}`);
  try {
    return readFileSync(source.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
    throw new ConnectionSettingsError(`cannot read the ${what} ${source.path} (${name}): ${why}`);
  }
}

function parseCertificate(pem: Buffer, name: string, what: string, now: Date | undefined): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new ConnectionSettingsError(`${name} does not hold a PEM ${what}`);
  }
  if (now && new Date(certificate.validTo).getTime() < now.getTime())
    throw new ConnectionSettingsError(`the ${what} in ${name} expired on ${new Date(certificate.validTo).toISOString()}`);
  if (now && new Date(certificate.validFrom).getTime() > now.getTime())
    throw new ConnectionSettingsError(`the ${what} in ${name} is not valid before ${new Date(certificate.validFrom).toISOString()}`);
  return certificate;
}

/** How long a connection may take before the caller gets an error instead of a hang. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** A connection not up by then is probed for the reason while it keeps trying (grpc-js gives none until its deadline). */
const PROBE_AFTER_MS = 1500;

/**
 * `Connection.connect` with these settings, or a TemporalConnectError whose one line says why not: the server
 * refused the API key or certificate, the CA did not sign the server's certificate, TLS against a plaintext server or
 * the reverse, nothing listening. Bounded by `timeoutMs`.
 */
export async function connectClientConnection(settings: TemporalConnectionSettings, timeoutMs = CONNECT_TIMEOUT_MS): Promise<ClientConnection> {
  if (settings.tls) quietIpServerNameWarning();
  const connection = Connection.lazy(clientConnectionOptions(settings, timeoutMs));
  return explainedConnect(
    settings,
    connection.ensureConnected().then(() => connection),
    () => connection.close(),
    timeoutMs,
  );
}

/** `NativeConnection.connect` (workers) with these settings, with the same one-line errors and bound. */
export async function connectNativeConnection(settings: TemporalConnectionSettings, timeoutMs = CONNECT_TIMEOUT_MS): Promise<NativeConnection> {
  // Loaded here, not at the top: the CLI imports this module and must not load the worker's native core to print help.
  const { NativeConnection } = await import('@temporalio/worker');
  const attempt = NativeConnection.connect(nativeConnectionOptions(settings));
  return explainedConnect(settings, attempt, () => attempt.then((connection) => connection.close()), timeoutMs);
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

async function explainedConnect<T>(settings: TemporalConnectionSettings, attempt: Promise<T>, abandon: () => Promise<void>, timeoutMs: number): Promise<T> {
  const settled: Promise<Settled<T>> = attempt.then(
    (value) => ({ ok: true, value }),
    (error: Error) => ({ ok: false, error }),
  );
  const fail = (problem: string): never => {
    void abandon().catch(() => undefined);
    throw new TemporalConnectError(`cannot connect to Temporal at ${settings.address}: ${redactConnectionSecrets(problem, settings)}`);
  };
  const early = await Promise.race([settled, sleep(PROBE_AFTER_MS).then(() => undefined)]);
  if (early?.ok) return early.value;
  const refused = early && credentialsRefused(early.error, settings);
  if (refused) fail(refused);
  const { diagnoseTransport } = await import('./temporal-transport-probe.js');
  const problem = await diagnoseTransport(settings, Math.min(5000, timeoutMs));
  if (problem) fail(problem);
  const final = early ?? (await Promise.race([settled, sleep(timeoutMs).then((): Settled<T> => ({ ok: false, error: new Error('no answer in time') }))]));
  if (final.ok) return final.value;
  fail(credentialsRefused(final.error, settings) ?? sdkProblem(final.error, settings, timeoutMs));
  throw final.error; // not reached: fail() throws
}

/** The server's verdict on the API key or certificate (gRPC UNAUTHENTICATED / PERMISSION_DENIED), if that is the failure. */
function credentialsRefused(error: Error, settings: TemporalConnectionSettings): string | undefined {
  const cause = (error as Error & { cause?: { code?: number; details?: string } }).cause;
  const grpcCode = (error as Error & { code?: number }).code ?? cause?.code;
  const text = `${error.message} ${cause?.details ?? ''}`;
  const unauthenticated = grpcCode === 16 || /Unauthenticated|does not have valid authentication credentials/i.test(text);
  const denied = grpcCode === 7 || /PermissionDenied|does not have permission/i.test(text);
  if (!unauthenticated && !denied) return undefined;
  const what =
    settings.apiKey !== undefined
      ? `the API key (${settings.sources.apiKey})`
      : settings.tlsMode === 'mtls'
        ? `the client certificate (${settings.sources.clientCert})`
        : 'this client (no API key or client certificate is set)';
  const detail = (cause?.details ?? '').split('\n')[0]?.trim();
  return `the server ${unauthenticated ? 'rejected' : 'refused access for'} ${what}${denied ? ` in namespace "${settings.namespace}"` : ''}${detail ? `: ${detail}` : ''}`;
}

/** The SDK's own error, in one line, for failures the probe could not pin down. */
function sdkProblem(error: Error, settings: TemporalConnectionSettings, timeoutMs: number): string {
  const message = error.message ?? String(error);
  if (/UnsupportedCertVersion/.test(message))
    return `the client certificate (${settings.sources.clientCert}) is X.509 version 1; the worker's TLS library accepts only version 3 (re-issue it with extensions, e.g. openssl x509 -extfile)`;
  if (/Failed to connect before the deadline|no answer in time|DEADLINE_EXCEEDED/.test(message)) return `no answer within ${timeoutMs / 1000} s`;
  return message.split('\n')[0]!.slice(0, 300);
}

/** Belt and braces: an error text never carries the API key, whatever a server or library put in it. */
function redactConnectionSecrets(text: string, settings: TemporalConnectionSettings): string {
  return settings.apiKey ? text.split(settings.apiKey).join('[REDACTED]') : text;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

let warningFiltered = false;
/**
 * grpc-js passes an IP address as the TLS server name (SNI) when the address is one, and Node then prints a
 * deprecation warning (DEP0123) on stderr: noise in the CLI's one-line errors and in scripts' output. Certificate
 * checks are unaffected (the certificate's IP entries are verified). Only that one warning is dropped.
 */
function quietIpServerNameWarning(): void {
  if (warningFiltered) return;
  warningFiltered = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((...args: unknown[]) => {
    if (args.some((arg) => arg === 'DEP0123' || (typeof arg === 'object' && arg !== null && (arg as { code?: string }).code === 'DEP0123'))) return;
    emit(...args);
  }) as typeof process.emitWarning;
}
