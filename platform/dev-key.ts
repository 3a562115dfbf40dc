/**
 * The development key `npm start` uses when CONFIG_BACKUP_KEY is not set, so a fresh machine still encrypts Temporal
 * payloads and configuration backups (and the Web UI still decodes them through the codec endpoint) without any
 * set-up. It lives in `<data dir>/dev-key`, readable by its owner only, and is only a convenience for one machine:
 * production sets CONFIG_BACKUP_KEY (and keeps it somewhere safer than next to the data it protects).
 *
 * The CLI and a stand-alone worker adopt the same file when CONFIG_BACKUP_KEY is unset, so `npx sentinel` in
 * another terminal decodes what the service encrypted. An explicit CONFIG_BACKUP_KEY always wins.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigCryptoError } from '../domain/config-backup/errors.js';
import { Keyring } from '../domain/config-backup/keyring.js';
import { CONFIG_BACKUP_KEY_ENV } from '../domain/config-backup/keyring-name.js';

export const DEV_KEY_FILE_NAME = 'dev-key';
/** Key id of the development key: visible in every envelope it seals, so such data is easy to recognise. */
export const DEV_KEY_ID = 'dev';

export const devKeyFile = (dataDir: string): string => path.join(dataDir, DEV_KEY_FILE_NAME);

export interface DevKeyOutcome {
  /** `env` when CONFIG_BACKUP_KEY was set (nothing done), else whether the file was created now or reused. */
  source: 'env' | 'created' | 'existing';
  file?: string;
}

/** Sets CONFIG_BACKUP_KEY in `env` from the development key file, creating the file first when it is missing. */
export async function ensureDevKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<DevKeyOutcome> {
  if (env[CONFIG_BACKUP_KEY_ENV]?.trim()) return { source: 'env' };
  const file = devKeyFile(dataDir);
  await mkdir(dataDir, { recursive: true });
  let created = false;
  try {
    // `wx`: two starts racing must not each write a different key.
    await writeFile(file, `${DEV_KEY_ID}:${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  env[CONFIG_BACKUP_KEY_ENV] = await readKeyFile(file);
  return { source: created ? 'created' : 'existing', file };
}

/** Sets CONFIG_BACKUP_KEY from an existing development key file when it is unset; returns whether it did. */
export async function adoptDevKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env[CONFIG_BACKUP_KEY_ENV]?.trim()) return false;
  try {
    env[CONFIG_BACKUP_KEY_ENV] = await readKeyFile(devKeyFile(dataDir));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

const RECREATE_HINT = 'delete it to let `npm start` create a new development key (data sealed with the old one becomes unreadable)';

/** The file's key spec, checked here so a damaged file is named instead of surfacing later as a bad CONFIG_BACKUP_KEY. */
async function readKeyFile(file: string): Promise<string> {
  const spec = (await readFile(file, 'utf8')).trim();
  if (spec === '') throw new Error(`${file} is empty: ${RECREATE_HINT}`);
  try {
    Keyring.fromSpec(spec, file);
  } catch (error) {
    if (error instanceof ConfigCryptoError)
      throw new ConfigCryptoError(error.code, `${error.message}: the development key file is damaged; restore it, or ${RECREATE_HINT}`);
    throw error;
  }
  return spec;
}
