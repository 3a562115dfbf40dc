/**
 * One parse thread: stages configuration files (stage-file.ts: read, hash, encrypt, seal, redacted view).
 * The key spec arrives in workerData (memory of the same process, never written anywhere) because payloads are
 * encrypted and markers are keyed hashes here; only ciphertext, sealed envelopes and redacted views leave the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { keyringFromEnv } from '../../../domain/config-backup/keyring.js';
import { redactorFor } from '../services.js';
import { stageFile, type StageFileRequest } from './stage-file.js';

export interface StageMessage {
  id: number;
  request: StageFileRequest;
}

const { keySpec, sensitiveKeys } = workerData as { keySpec: string; sensitiveKeys: string[] };
const keyring = keyringFromEnv({ CONFIG_BACKUP_KEY: keySpec });
const redactor = redactorFor(keyring, sensitiveKeys);

parentPort!.on('message', ({ id, request }: StageMessage) => {
  try {
    parentPort!.postMessage({ id, staged: stageFile(request, keyring, redactor) });
  } catch (error) {
    // Only the error's class: a message could quote the content being parsed.
    parentPort!.postMessage({ id, error: `staging the file failed (${(error as Error).name ?? 'Error'})` });
  }
});
parentPort!.postMessage({ ready: true });
