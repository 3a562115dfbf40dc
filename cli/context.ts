import type { Client } from '@temporalio/client';
import type { OpenDatabase } from '../platform/database.js';
import { readEnv, type SentinelEnv } from '../platform/env.js';
import { readRuntimeInfo } from '../platform/runtime-file.js';
import type { connectClient } from '../platform/temporal.js';
import type { ConnectionOverrides, TemporalConnectionSettings } from '../platform/temporal-connection.js';
import { ConnectionSettingsError } from '../platform/temporal-connection-errors.js';
import { SettingsError } from '../domain/settings/errors.js';
import type { SentinelSettings, TargetConfig } from '../domain/settings/schema.js';
import { ExitCode } from './exit-codes.js';
import { CliError } from './output.js';

/**
 * Lazily opened resources for one CLI invocation: a command that needs only the config never connects to
 * Temporal or the database. `close()` releases whatever was opened. The modules behind them (the settings schema,
 * the Temporal client, the database drivers) are imported on first use too, so `sentinel --help` loads none of them.
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
    // Imported on use: it loads the Temporal client library, which `sentinel --help` should not pay for.
    const { resolveConnectionSettings } = await import('../platform/temporal-connection.js');
    return resolveConnectionSettings({ overrides, fallbackAddress: runtime?.temporalAddress });
  }

  async config(): Promise<SentinelSettings> {
    const { loadSettings } = await import('../platform/settings-file.js');
    return loadSettings(this.env.configPath);
  }

  /**
   * A target from sentinel.yaml; an unknown name is the caller's mistake (invalid input), not a broken config.
   * Without a sentinel.yaml at all, says so (and how to get one) rather than "unknown target".
   */
  async target(name: string): Promise<TargetConfig> {
    const config = await this.config();
    const { findTarget } = await import('../domain/settings/schema.js');
    const { settingsFileExists, missingSettingsMessage } = await import('../platform/settings-file.js');
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
      const { connectClient } = await import('../platform/temporal.js');
      return connectClient({ settings: await this.connectionSettings() });
    })();
    return (await this.temporal).client;
  }

  db(): Promise<OpenDatabase> {
    this.database ??= import('../platform/database.js').then(({ openDatabase }) => openDatabase(this.env));
    return this.database;
  }

  async close(): Promise<void> {
    const temporal = await this.temporal?.catch(() => undefined);
    await temporal?.connection.close();
    const database = await this.database?.catch(() => undefined);
    await database?.close();
  }
}
