/**
 * One configuration file's whole first-run work but the store's bookkeeping, done on a parse thread with blocking
 * calls (or, for small batches, on the calling thread with non-blocking ones): read, content hash, encrypt, seal the
 * attributes, build the redacted view. The main thread then only puts the envelope into the run's open pack
 * (`PayloadStore.put`), which keeps its event loop free for the activity's heartbeats and database work and spreads
 * a run's CPU over every core (BENCHMARKS.md, "Configuration backups").
 *
 * Only metadata, the encrypted envelopes and the redacted view leave the thread: never the file's bytes. A problem
 * with the file comes back as a failed result with the same codes and reasons as `readConfigFile`.
 */
import { payloadContext } from '../../../domain/config-backup/contexts.js';
import { sealEnvelope } from '../../../domain/config-backup/crypto.js';
import { sealFileMetadata, type FileMetadata } from '../../../domain/config-backup/file-metadata.js';
import type { Keyring } from '../../../domain/config-backup/keyring.js';
import type { Redactor } from '../../../domain/config-backup/redact.js';
import type { ConfigFormat } from '../../../domain/config-backup/types.js';
import { systemRandomBytes } from '../store/payloads.js';
import { readConfigFile, readConfigFileSync, type ReadConfigFileResult } from '../store/read-config-file.js';
import { buildFileView, type SerializedView } from './views.js';

export interface StageFileRequest {
  path: string;
  format: ConfigFormat;
  /** The previous snapshot's content hash when the store still holds it: the same content is not encrypted again. */
  storedHash: string | null;
  /** The previous snapshot's content hash when its view can be reused: no view is built for the same content. */
  reuseViewForHash: string | null;
}

export type StagedFile =
  | { ok: false; code: string; reason: string }
  | {
      ok: true;
      contentHash: string;
      metadata: FileMetadata;
      metadataEnvelope: Uint8Array;
      /** The payload sealed for the store under `contentHash`; null when it hashed to `storedHash`. */
      envelope: Uint8Array | null;
      /** Null when the content hashed to `reuseViewForHash`. */
      view: SerializedView | null;
    };

/** On a parse thread: blocking reads (a thread has no event loop to keep responsive). */
export function stageFile(request: StageFileRequest, keyring: Keyring, redactor: Redactor): StagedFile {
  return sealRead(readConfigFileSync(request.path), request, keyring, redactor);
}

/** On the calling thread (small batches, or a parse thread died): the same work with non-blocking reads. */
export async function stageFileHere(request: StageFileRequest, keyring: Keyring, redactor: Redactor): Promise<StagedFile> {
  return sealRead(await readConfigFile(request.path), request, keyring, redactor);
}

function sealRead(read: ReadConfigFileResult, request: StageFileRequest, keyring: Keyring, redactor: Redactor): StagedFile {
  if (!read.ok) return { ok: false, code: read.code, reason: read.reason };
  const contentHash = keyring.contentHash(read.bytes);
  return {
    ok: true,
    contentHash,
    metadata: read.metadata,
    metadataEnvelope: sealFileMetadata(keyring, request.path, read.metadata, systemRandomBytes),
    envelope: contentHash === request.storedHash ? null : sealEnvelope(keyring, payloadContext(contentHash), read.bytes, systemRandomBytes),
    view: contentHash === request.reuseViewForHash ? null : buildFileView(redactor, read.bytes, request.format),
  };
}
