import type { Client } from '@temporalio/client';
import { settingsFileExists, loadSettings, missingSettingsMessage } from '../platform/settings-file.js';
import { openDatabase, type OpenDatabase } from '../platform/database.js';
import { readEnv, type SentinelEnv } from '../platform/env.js';
import { readRuntimeInfo } from '../platform/runtime-file.js';
import { connectClient } from '../platform/temporal.js';
import { type ConnectionOverrides, resolveConnectionSettings, type TemporalConnectionSettings } from '../platform/temporal-connection.js';
import { ConnectionSettingsError } from '../platform/temporal-connection-errors.js';
import { SettingsError, findTarget, type SentinelSettings, type TargetConfig } from '../domain/settings/schema.js';
import { ExitCode } from './exit-codes.js';
import { CliError } from './output.js';

/**
 * Lazily opened resources for one CLI invocation: a command that needs only the config never connects to
 * Temporal or the database. `close()` releases whatever was opened.
 */
export class CliContext {
  readonly env: SentinelEnv = readEnv();
  private temporal?: Promise<Awaited<ReturnType<typeof connectClient>>>;
  private database?: Promise<OpenDatabase>;
  /** The global connection flags (`--address`, `--tls-cert-path`, ...), set before the command's action runs. */
  connectionOverrides: ConnectionOverrides & { namespaces?: string[] } = {};

  setConnectionOverrides(overrides: ConnectionOverrides & { namespaces?: string[] }): void {
    this.connectionOverrides = overrides;
  }

  /** The namespace(s) named by `--namespace` (several only for codec-server), else TEMPORAL_NAMESPACE / the profile's. */
  namespaces(): string[] | undefined {
    return this.connectionOverrides.namespaces;
  }

  /**
   * Flags over TEMPORAL_* over the profile file; without any address, the local `npm start` service's. Checked:
   * a bad setting is a ConnectionSettingsError (exit 2).
   */
  async connectionSettings(): Promise<TemporalConnectionSettings> {
    const { namespaces, ...overrides } = this.connectionOverrides;
    if (namespaces && namespaces.length > 1)
      throw new ConnectionSettingsError(`--namespace is given ${namespaces.length} times: only codec-server serves several namespaces`);
    const runtime = await readRuntimeInfo(this.env.dataDir);
    return resolveConnectionSettings({ overrides, fallbackAddress: runtime?.temporalAddress });
  }

  config(): Promise<SentinelSettings> {
    return loadSettings(this.env.configPath);
  }

  /**
   * A target from sentinel.yaml; an unknown name is the caller's mistake (invalid input), not a broken config.
   * Without a sentinel.yaml at all, says so (and how to get one) rather than "unknown target".
   */
  async target(name: string): Promise<TargetConfig> {
    const config = await this.config();
    try {
      return findTarget(config, name);
    } catch (error) {
      if (error instanceof SettingsError) {
        // No sentinel.yaml at all is a set-up problem (exit 1, like an invalid file), not a mistyped name (exit 2).
        if (!(await settingsFileExists(this.env.configPath)))
          throw new SettingsError(`unknown target "${name}": ${missingSettingsMessage(this.env.configPath)}`);
        throw new CliError(error.message, ExitCode.invalidInput);
      }
      throw error;
    }
  }

  async client(): Promise<Client> {
    this.temporal ??= (async () => {
      return connectClient({ settings: await this.connectionSettings() });
    })();
    return (await this.temporal).client;
  }

  db(): Promise<OpenDatabase> {
    this.database ??= openDatabase(this.env);
    return this.database;
  }

  async close(): Promise<void> {
    const temporal = await this.temporal?.catch(() => undefined);
    await temporal?.connection.close();
    const database = await this.database?.catch(() => undefined);
    await database?.close();
  }
}
