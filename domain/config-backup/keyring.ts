/**
 * Keyring for configuration backups: key id -> 32-byte master key, one of them active.
 *
 * `CONFIG_BACKUP_KEY` accepts two forms:
 *  - a single key: base64 of exactly 32 bytes (`openssl rand -base64 32`); its id is a fingerprint
 *    (16 hex chars derived by HKDF, so the id reveals nothing about the key);
 *  - a keyring: comma-separated entries `[*][id:]base64`, e.g. `2026a:BASE64,2025b:BASE64`. The entry marked
 *    with `*` is active, otherwise the first one. Ids match `[A-Za-z0-9][A-Za-z0-9._-]{0,31}`; an entry without
 *    an id gets its fingerprint. Older keys stay in the ring only to decrypt what they sealed.
 *
 * Each master key is expanded once with HKDF-SHA256 into independent sub-keys: one for AES-256-GCM, one for the
 * content-address HMAC and one for redaction markers, so a leaked marker or content hash says nothing about the
 * encryption key. HKDF (not scrypt) because the input is already a uniformly random 256-bit key; a passphrase
 * would need scrypt with a stored salt, which this module deliberately does not accept.
 *
 * Derived keys live in a module-private WeakMap, so logging or serialising a Keyring shows ids only.
 *
 * A key check value (`keyCheckValue`) tells two keys with the same id apart: an HMAC of a fixed label under a key of
 * its own derived by HKDF, so it reveals nothing about the other sub-keys, and testing a guess against it costs as
 * much as testing it against any ciphertext (the key is 256 random bits). The store records one per key id.
 */
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { ConfigCryptoError } from './errors.js';

import { CONFIG_BACKUP_KEY_ENV } from './keyring-name.js';

export { CONFIG_BACKUP_KEY_ENV };
export const MASTER_KEY_BYTES = 32;

const HKDF_SALT = Buffer.from('backup-sentinel/config-backup/v1', 'utf8');
const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

interface DerivedKeys {
  encryption: KeyObject;
  contentHash: KeyObject;
  marker: KeyObject;
  /** Key check value (hex), see the module comment. */
  check: string;
}

const KEY_CHECK_LABEL = 'backup-sentinel config-backup key check v1';

export interface KeyringEntry {
  /** Omit to use the key's fingerprint. */
  id?: string;
  key: Uint8Array;
}

const derivedKeys = new WeakMap<Keyring, ReadonlyMap<string, DerivedKeys>>();

function hkdf(masterKey: Uint8Array, purpose: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, `backup-sentinel config-backup ${purpose}`, length));
}

/** Public identifier of a key: safe to store and print, useless for recovering the key. */
export function keyFingerprint(masterKey: Uint8Array): string {
  return hkdf(masterKey, 'key-id', 8).toString('hex');
}

export class Keyring {
  readonly activeKeyId: string;
  /** All ids, active first. */
  readonly keyIds: readonly string[];

  private constructor(activeKeyId: string, keys: Map<string, DerivedKeys>) {
    this.activeKeyId = activeKeyId;
    this.keyIds = [activeKeyId, ...[...keys.keys()].filter((id) => id !== activeKeyId)];
    derivedKeys.set(this, keys);
  }

  /** Builds a ring from raw keys; the active key defaults to the first entry. */
  static fromKeys(entries: readonly KeyringEntry[], activeKeyId?: string): Keyring {
    if (entries.length === 0) throw new ConfigCryptoError('INVALID_KEY', 'keyring is empty');
    const keys = new Map<string, DerivedKeys>();
    entries.forEach((entry, index) => {
      if (entry.key.length !== MASTER_KEY_BYTES) {
        throw new ConfigCryptoError('INVALID_KEY', `key #${index + 1} must be exactly ${MASTER_KEY_BYTES} bytes (got ${entry.key.length})`);
      }
      const id = entry.id ?? keyFingerprint(entry.key);
      if (!KEY_ID_PATTERN.test(id)) {
        throw new ConfigCryptoError('INVALID_KEY', `key #${index + 1}: invalid key id ${JSON.stringify(id)}`);
      }
      if (keys.has(id)) throw new ConfigCryptoError('INVALID_KEY', `duplicate key id "${id}"`);
      keys.set(id, {
        encryption: createSecretKey(hkdf(entry.key, 'encryption', 32)),
        contentHash: createSecretKey(hkdf(entry.key, 'content-hash', 32)),
        marker: createSecretKey(hkdf(entry.key, 'redaction-marker', 32)),
        check: createHmac('sha256', hkdf(entry.key, 'key-check', 32))
          .update(KEY_CHECK_LABEL, 'utf8')
          .digest('hex'),
      });
    });
    const active = activeKeyId ?? keys.keys().next().value!;
    if (!keys.has(active)) throw new ConfigCryptoError('UNKNOWN_KEY_ID', `active key id "${active}" is not in the keyring`);
    return new Keyring(active, keys);
  }

  /**
   * Parses the `CONFIG_BACKUP_KEY` syntax described at the top of this module. `source` names where the spec came
   * from in error messages (the variable, or the file it was read from).
   */
  static fromSpec(spec: string, source: string = CONFIG_BACKUP_KEY_ENV): Keyring {
    const parts = spec.split(',').map((part) => part.trim());
    const entries: KeyringEntry[] = [];
    let marked: number | undefined;
    parts.forEach((part, index) => {
      const where = parts.length > 1 ? `${source} entry #${index + 1}` : source;
      if (part === '') throw new ConfigCryptoError('INVALID_KEY', `${where} is empty`);
      let body = part;
      if (body.startsWith('*')) {
        if (marked !== undefined) {
          throw new ConfigCryptoError('INVALID_KEY', `${source} marks more than one key active with "*"`);
        }
        marked = index;
        body = body.slice(1);
      }
      const colon = body.indexOf(':');
      const id = colon >= 0 ? body.slice(0, colon).trim() : undefined;
      const encoded = (colon >= 0 ? body.slice(colon + 1) : body).trim();
      if (id !== undefined && !KEY_ID_PATTERN.test(id)) {
        throw new ConfigCryptoError('INVALID_KEY', `${where}: key id must match ${KEY_ID_PATTERN.source} (got ${JSON.stringify(id.slice(0, 40))})`);
      }
      entries.push({ id, key: decodeKey(encoded, where, source === CONFIG_BACKUP_KEY_ENV) });
    });
    const ids = entries.map((entry) => entry.id ?? keyFingerprint(entry.key));
    return Keyring.fromKeys(
      entries.map((entry, index) => ({ id: ids[index], key: entry.key })),
      ids[marked ?? 0],
    );
  }

  has(keyId: string): boolean {
    return keysOf(this).has(keyId);
  }

  /** Key check value of one key (64 hex chars): equal for the same key, different for another key with that id. */
  keyCheckValue(keyId: string = this.activeKeyId): string {
    return requireKeys(this, keyId).check;
  }

  /** Keyed content address (HMAC-SHA256, 64 hex chars) of a payload's plaintext. */
  contentHash(plaintext: Uint8Array, keyId: string = this.activeKeyId): string {
    return createHmac('sha256', requireKeys(this, keyId).contentHash).update(plaintext).digest('hex');
  }

  /** Keyed hash (64 hex chars) used for redaction markers; see `Redactor`. */
  markerHash(input: string, keyId: string = this.activeKeyId): string {
    return createHmac('sha256', requireKeys(this, keyId).marker).update(input, 'utf8').digest('hex');
  }

  /** The marker hash bound to one key, in the shape `Redactor` expects. */
  markerHasher(keyId: string = this.activeKeyId): (input: string) => string {
    const key = requireKeys(this, keyId).marker;
    return (input) => createHmac('sha256', key).update(input, 'utf8').digest('hex');
  }

  toJSON(): { activeKeyId: string; keyIds: readonly string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Keyring { active: ${this.activeKeyId}, ids: [${this.keyIds.join(', ')}] }`;
  }
}

/**
 * Reads the keyring from an environment object (pass `process.env`). A missing key is an error, never a silent
 * fallback to plaintext.
 */
export function keyringFromEnv(env: Readonly<Record<string, string | undefined>>): Keyring {
  const spec = env[CONFIG_BACKUP_KEY_ENV];
  if (spec === undefined || spec.trim() === '') {
    throw new ConfigCryptoError('MISSING_KEY', `${CONFIG_BACKUP_KEY_ENV} is not set: refusing to back up without encryption`);
  }
  return Keyring.fromSpec(spec);
}

/** @internal AES key for one key id; only the envelope module should call this. */
export function encryptionKeyOf(keyring: Keyring, keyId: string): KeyObject | undefined {
  return keysOf(keyring).get(keyId)?.encryption;
}

function keysOf(keyring: Keyring): ReadonlyMap<string, DerivedKeys> {
  const keys = derivedKeys.get(keyring);
  if (!keys) throw new TypeError('not a Keyring created by Keyring.fromKeys/fromSpec');
  return keys;
}

function requireKeys(keyring: Keyring, keyId: string): DerivedKeys {
  const keys = keysOf(keyring).get(keyId);
  if (!keys) {
    throw new ConfigCryptoError('UNKNOWN_KEY_ID', `unknown key id "${keyId}" (keyring has: ${keyring.keyIds.join(', ')})`);
  }
  return keys;
}

function decodeKey(encoded: string, where: string, withHint: boolean): Buffer {
  const hint = withHint ? '; generate one with `openssl rand -base64 32`' : '';
  if (!BASE64_PATTERN.test(encoded)) {
    throw new ConfigCryptoError('INVALID_KEY', `${where} is not base64 (found characters outside the alphabet)${hint}`);
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new ConfigCryptoError('INVALID_KEY', `${where} must be base64 of exactly ${MASTER_KEY_BYTES} bytes (decodes to ${key.length})${hint}`);
  }
  return key;
}
