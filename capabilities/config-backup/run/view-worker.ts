/**
 * One parse thread: builds redacted views of file bytes. The key spec arrives in workerData (memory of the same
 * process, never written anywhere) because markers are keyed hashes; only serialised views leave the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { keyringFromEnv } from '../../../domain/config-backup/keyring.js';
import type { ConfigFormat } from '../../../domain/config-backup/types.js';
import { redactorFor } from '../services.js';
import { buildFileView } from './views.js';

export interface ViewRequest {
  id: number;
  bytes: Uint8Array;
  format: ConfigFormat;
}

const { keySpec, sensitiveKeys } = workerData as { keySpec: string; sensitiveKeys: string[] };
const redactor = redactorFor(keyringFromEnv({ CONFIG_BACKUP_KEY: keySpec }), sensitiveKeys);

parentPort!.on('message', (request: ViewRequest) => {
  try {
    parentPort!.postMessage({ id: request.id, view: buildFileView(redactor, request.bytes, request.format) });
  } catch (error) {
    // Only the error's class: a message could quote the content being parsed.
    parentPort!.postMessage({ id: request.id, error: `building the view failed (${(error as Error).name ?? 'Error'})` });
  }
});
parentPort!.postMessage({ ready: true });
