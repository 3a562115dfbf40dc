/**
 * One configuration file, end to end: read, hash, store the encrypted bytes (deduplicated), seal the attributes,
 * build the redacted view. Failures are per file and returned, never thrown, so one bad file fails alone.
 *
 * Pass `previous` (the last snapshot's hash and view of this path): when the content hash is unchanged the file is
 * neither encrypted, written nor parsed again, which is what makes an unchanged re-run cheap.
 */
import { detectFormat, decodeText, parseConfig } from '../../domain/config-backup/formats.js';
import { sealFileMetadata, type FileMetadata } from '../../domain/config-backup/file-metadata.js';
import type { ConfigFormat, RedactedView } from '../../domain/config-backup/types.js';
import { systemRandomBytes, storePayloadWithHash } from './payloads.js';
import { readConfigFile, type ReadFailureCode } from './read-config-file.js';
import type { ConfigBackupServices } from './services.js';

export interface BackupConfigFileOptions {
  /** Overrides detection from the file name. */
  format?: ConfigFormat;
  /** Per-file limit; default 10 MiB. */
  maxBytes?: number;
  /** The last backup of this path: its content hash, the format it was backed up as, and its view. */
  previous?: { contentHash: string; format: ConfigFormat; view: RedactedView };
}

export type BackupConfigFileResult =
  | {
      ok: true;
      path: string;
      /** Format asked for (detected or explicit); `view.format` says what the view was built from. */
      format: ConfigFormat;
      contentHash: string;
      payloadWritten: boolean;
      bytesWritten: number;
      metadata: FileMetadata;
      /** Sealed `FileMetadata`, bound to `file:<path>`; store it with the metadata row. */
      metadataEnvelope: Buffer;
      view: RedactedView;
      viewReused: boolean;
    }
  | { ok: false; path: string; code: ReadFailureCode | 'store-error'; reason: string };

export async function backupConfigFile(
  path: string,
  services: ConfigBackupServices,
  options: BackupConfigFileOptions = {},
): Promise<BackupConfigFileResult> {
  const read = await readConfigFile(path, { maxBytes: options.maxBytes });
  if (!read.ok) return read;
  const { keyring, store, redactor } = services;
  const format = detectFormat(path, options.format);
  const contentHash = keyring.contentHash(read.bytes);

  const previous = options.previous;
  const reusable =
    previous !== undefined &&
    previous.contentHash === contentHash &&
    previous.format === format &&
    previous.view.hashKeyId === redactor.hashKeyId;
  let view: RedactedView;
  if (reusable) {
    view = previous.view;
  } else {
    const decoded = decodeText(read.bytes);
    view = redactor.redactParsed(parseConfig(decoded.text, format), decoded.warnings);
  }

  try {
    const put = await storePayloadWithHash(store, keyring, contentHash, read.bytes);
    return {
      ok: true,
      path,
      format,
      contentHash,
      payloadWritten: put.written,
      bytesWritten: put.bytesWritten,
      metadata: read.metadata,
      metadataEnvelope: sealFileMetadata(keyring, path, read.metadata, systemRandomBytes),
      view,
      viewReused: reusable,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, path, code: 'store-error', reason: `${path}: storing the payload failed (${code ?? (error as Error).message})` };
  }
}
