/**
 * The configuration-backup settings a process reads from its environment. The worker's environment decides what a
 * run backs up (workflow input may override); the CLI reads the same variables to find the store and the key.
 */
import path from 'node:path';
import { CONFIG_BACKUP_KEY_ENV } from '../../../domain/config-backup/keyring-name.js';
import { dataDirOf } from '../../../platform/env.js';

export const CONFIG_ENV_PREFIX_ENV = 'CONFIG_ENV_PREFIX';
export const CONFIG_FILES_ENV = 'CONFIG_FILES_TO_BACKUP';
export const CONFIG_BACKUP_DIR_ENV = 'CONFIG_BACKUP_DIR';
export { CONFIG_BACKUP_KEY_ENV };

export interface ConfigBackupSettings {
  /** CONFIG_ENV_PREFIX; undefined when unset (then no environment variables are backed up). */
  envPrefix: string | undefined;
  /** CONFIG_FILES_TO_BACKUP split on commas: paths or globs. */
  files: string[];
  /** CONFIG_BACKUP_DIR, absolute; default `<SENTINEL_DATA_DIR or .data>/config-backups`. */
  dir: string;
}

export function readConfigBackupSettings(env: Readonly<Record<string, string | undefined>> = process.env): ConfigBackupSettings {
  return {
    envPrefix: nonEmpty(env[CONFIG_ENV_PREFIX_ENV]),
    files: splitList(env[CONFIG_FILES_ENV]),
    dir: path.resolve(nonEmpty(env[CONFIG_BACKUP_DIR_ENV]) ?? path.join(dataDirOf(env), 'config-backups')),
  };
}

/** `a, b,,c` -> ['a', 'b', 'c']. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
