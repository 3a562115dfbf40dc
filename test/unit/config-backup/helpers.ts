import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '../../../domain/config-backup/keyring.js';
import { Redactor } from '../../../domain/config-backup/redact.js';

export const CANARY = 'CANARY-s3cr3t-9f8e7d';
export const CANARY_2 = 'CANARY-0th3r-1a2b3c';

export const KEY_1 = Buffer.alloc(32, 0x11);
export const KEY_2 = Buffer.alloc(32, 0x22);

export const random = (size: number): Uint8Array => randomBytes(size);

export function keyringK1(): Keyring {
  return Keyring.fromKeys([{ id: 'k1', key: KEY_1 }]);
}

export function redactorFor(keyring: Keyring = keyringK1()): Redactor {
  return new Redactor({ keyedHash: keyring.markerHasher(), hashKeyId: keyring.activeKeyId });
}

export async function tempDir(prefix = 'cfgbk-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Every file path below `dir` (recursive), relative to it. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1));
  }
  return out.sort();
}
