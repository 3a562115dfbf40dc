/**
 * Wiring for activities: keyring from the environment, payload store, redactor bound to the active key.
 */
import { keyringFromEnv, type Keyring } from '../../domain/config-backup/keyring.js';
import { Redactor } from '../../domain/config-backup/redact.js';
import { DEFAULT_PAYLOAD_DIR, PayloadStore } from './payload-store.js';

export interface ConfigBackupServices {
  keyring: Keyring;
  store: PayloadStore;
  redactor: Redactor;
}

export interface ServicesOptions {
  /** Usually `process.env`; must hold CONFIG_BACKUP_KEY (throws MISSING_KEY otherwise). */
  env: Readonly<Record<string, string | undefined>>;
  /** Store directory; default `.data/config-backups`. */
  dir?: string;
  /** Configured `sensitive_keys`. */
  sensitiveKeys?: readonly string[];
  /** See `PayloadStoreOptions.deferDirectorySync`: then call `store.flush()` before committing rows. */
  deferDirectorySync?: boolean;
}

export function createConfigBackupServices(options: ServicesOptions): ConfigBackupServices {
  const keyring = keyringFromEnv(options.env);
  return {
    keyring,
    store: new PayloadStore(options.dir ?? DEFAULT_PAYLOAD_DIR, { deferDirectorySync: options.deferDirectorySync }),
    redactor: redactorFor(keyring, options.sensitiveKeys),
  };
}

/** A redactor whose markers use the keyring's active marker key. */
export function redactorFor(keyring: Keyring, sensitiveKeys?: readonly string[]): Redactor {
  return new Redactor({ keyedHash: keyring.markerHasher(), hashKeyId: keyring.activeKeyId, sensitiveKeys });
}
