/**
 * What one backup step needs besides the database: the keyring, a payload store that batches directory fsyncs, the
 * redactor and the redaction profile. Built per activity call from the process environment, so a key change takes
 * effect on the next step and a store's has()-index never outlives the step (a prune in another process may delete
 * objects behind it).
 */
import type { Keyring } from '../../domain/config-backup/keyring.js';
import { CONFIG_BACKUP_KEY_ENV } from '../../domain/config-backup/keyring-name.js';
import type { Redactor } from '../../domain/config-backup/redact.js';
import type { PayloadStore } from '../config-store/payload-store.js';
import { createConfigBackupServices } from '../config-store/services.js';
import { effectiveSensitiveKeys, redactionProfile } from './views.js';

export interface RunServices {
  keyring: Keyring;
  store: PayloadStore;
  redactor: Redactor;
  sensitiveKeys: string[];
  profile: string;
  /** The raw key spec, handed to the parse threads (same process) so they can compute markers. */
  keySpec: string;
}

export function runServices(env: Readonly<Record<string, string | undefined>>, dir: string, extraSensitiveKeys: readonly string[] = []): RunServices {
  const sensitiveKeys = effectiveSensitiveKeys(extraSensitiveKeys);
  const { keyring, store, redactor } = createConfigBackupServices({ env, dir, sensitiveKeys, deferDirectorySync: true });
  return { keyring, store, redactor, sensitiveKeys, profile: redactionProfile(sensitiveKeys), keySpec: env[CONFIG_BACKUP_KEY_ENV]!.trim() };
}
