/**
 * The payload codec's keys, derived from the same `CONFIG_BACKUP_KEY` keyring as configuration backups.
 *
 * Each master key yields one AES-256 key by HKDF-SHA256 under a salt and label of its own, so the codec key is
 * independent of the payload-store, content-hash and marker keys derived by domain/config-backup/keyring.ts: a
 * codec endpoint that leaks its key exposes Temporal payloads, not the backup store. Key ids are the keyring's ids,
 * so one rotation procedure (new key first, old keys kept) covers both.
 *
 * The keyring's derived keys are private to it and its master keys are not kept, so the spec is parsed here a
 * second time to reach the master keys. `Keyring.fromSpec` runs first: it validates the spec and owns every error
 * message, and the ids computed here are checked against it so the two parsers cannot drift apart silently.
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { CONFIG_BACKUP_KEY_ENV, Keyring, keyFingerprint } from '../../domain/config-backup/keyring.js';

const CODEC_HKDF_SALT = Buffer.from('backup-sentinel/temporal-payload-codec/v1', 'utf8');
const CODEC_HKDF_LABEL = 'backup-sentinel temporal-payload-codec aes-256-gcm';
const AES_KEY_BYTES = 32;

/** Codec keys by id. The keys live in a private field, so logging or serialising this shows ids only. */
export class CodecKeys {
  /** All ids, active first. */
  readonly keyIds: readonly string[];
  readonly #keys: ReadonlyMap<string, KeyObject>;

  constructor(
    /** Id that new payloads are encrypted with. */
    readonly activeKeyId: string,
    keys: ReadonlyMap<string, KeyObject>,
  ) {
    this.keyIds = [activeKeyId, ...[...keys.keys()].filter((id) => id !== activeKeyId)];
    this.#keys = keys;
  }

  /** AES-256-GCM key for an id, or undefined when the ring does not hold it. */
  keyFor(keyId: string): KeyObject | undefined {
    return this.#keys.get(keyId);
  }
}

/** The codec keys from an environment object, or undefined when `CONFIG_BACKUP_KEY` is unset or blank. */
export function codecKeysFromEnv(env: Readonly<Record<string, string | undefined>>): CodecKeys | undefined {
  const spec = env[CONFIG_BACKUP_KEY_ENV];
  if (spec === undefined || spec.trim() === '') return undefined;
  return codecKeysFromSpec(spec);
}

/** Parses the `CONFIG_BACKUP_KEY` syntax (see domain/config-backup/keyring.ts); throws its `ConfigCryptoError`s. */
export function codecKeysFromSpec(spec: string): CodecKeys {
  const keyring = Keyring.fromSpec(spec);
  const keys = new Map<string, KeyObject>();
  for (const part of spec.split(',')) {
    const body = part.trim().replace(/^\*/, '');
    const colon = body.indexOf(':');
    const master = Buffer.from((colon >= 0 ? body.slice(colon + 1) : body).trim(), 'base64');
    const id = colon >= 0 ? body.slice(0, colon).trim() : keyFingerprint(master);
    keys.set(id, deriveCodecKey(master));
    master.fill(0);
  }
  if (keys.size !== keyring.keyIds.length || !keyring.keyIds.every((id) => keys.has(id))) {
    throw new Error(`internal error: codec key ids [${[...keys.keys()].join(', ')}] differ from the keyring's [${keyring.keyIds.join(', ')}]`);
  }
  return new CodecKeys(keyring.activeKeyId, keys);
}

/** Builds codec keys from raw 32-byte master keys (tests, tools); the first id is active unless one is given. */
export function codecKeysFromMasterKeys(entries: ReadonlyArray<{ id: string; key: Uint8Array }>, activeKeyId?: string): CodecKeys {
  const keyring = Keyring.fromKeys(entries, activeKeyId);
  const keys = new Map(entries.map((entry) => [entry.id, deriveCodecKey(entry.key)] as const));
  return new CodecKeys(keyring.activeKeyId, keys);
}

function deriveCodecKey(master: Uint8Array): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', master, CODEC_HKDF_SALT, CODEC_HKDF_LABEL, AES_KEY_BYTES)));
}
