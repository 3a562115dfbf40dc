/**
 * The one wiring of a configuration backup's services, for the activities and the CLI alike: the keyring, the
 * payload store, the redactor bound to the active key, and the redaction profile.
 *
 * A step's services are built per activity call from the environment as it is then, so a key change takes effect
 * at the next step and a store's has()-index never outlives the step (a prune in another process may delete objects
 * behind it). The worker hands activities a `ConfigBackupSource` through `ActivityDeps`, so nothing in the
 * activities reads `process.env` itself.
 */
import { keyringFromEnv, type Keyring } from '../../domain/config-backup/keyring.js';
import { CONFIG_BACKUP_KEY_ENV } from '../../domain/config-backup/keyring-name.js';
import { Redactor } from '../../domain/config-backup/redact.js';
import { readConfigBackupSettings, type ConfigBackupSettings } from './run/settings.js';
import { effectiveSensitiveKeys, redactionProfile } from './run/views.js';
import { PayloadStore } from './store/payload-store.js';

type Environment = Readonly<Record<string, string | undefined>>;

export interface RunServices {
  keyring: Keyring;
  /** A store that packs a run's objects (written at `store.flush()`): flush before committing rows that reference them. */
  store: PayloadStore;
  redactor: Redactor;
  sensitiveKeys: string[];
  profile: string;
  /** The raw key spec, handed to the parse threads (same process) so they can compute markers. */
  keySpec: string;
}

/** What the configuration-backup activities take from their host process (`ActivityDeps.configBackup`). */
export interface ConfigBackupSource {
  /** CONFIG_BACKUP_KEY as it is now; throws ConfigCryptoError when missing or malformed. */
  keyring(): Keyring;
  /** CONFIG_ENV_PREFIX, CONFIG_FILES_TO_BACKUP, CONFIG_BACKUP_DIR as they are now. */
  settings(): ConfigBackupSettings;
  /** The variables an environment step selects from (by the run's prefix). */
  variables(): Environment;
  /** A step's services (keyring, deferred-sync store, redactor with the default plus `extraSensitiveKeys`). */
  services(extraSensitiveKeys?: readonly string[]): RunServices;
}

/** The source a worker uses: its own environment, read at every call. */
export function configBackupSourceFromEnv(env: Environment = process.env): ConfigBackupSource {
  return {
    keyring: () => keyringFromEnv(env),
    settings: () => readConfigBackupSettings(env),
    variables: () => env,
    services: (extraSensitiveKeys = []) => runServices(env, readConfigBackupSettings(env).dir, extraSensitiveKeys),
  };
}

export function runServices(env: Environment, dir: string, extraSensitiveKeys: readonly string[] = []): RunServices {
  const keyring = keyringFromEnv(env);
  const sensitiveKeys = effectiveSensitiveKeys(extraSensitiveKeys);
  return {
    keyring,
    store: new PayloadStore(dir, { packed: true }),
    redactor: redactorFor(keyring, sensitiveKeys),
    sensitiveKeys,
    profile: redactionProfile(sensitiveKeys),
    keySpec: env[CONFIG_BACKUP_KEY_ENV]!.trim(),
  };
}

/** A redactor whose markers use the keyring's active marker key. */
export function redactorFor(keyring: Keyring, sensitiveKeys?: readonly string[]): Redactor {
  return new Redactor({ keyedHash: keyring.markerHasher(), hashKeyId: keyring.activeKeyId, sensitiveKeys });
}
