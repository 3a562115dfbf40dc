/**
 * Refusing to send secrets to Temporal unencrypted. Without `CONFIG_BACKUP_KEY` the codec passes payloads through
 * (the pre-backup gate carries no secrets), so a caller about to put secrets into a workflow input, a signal or a
 * schedule checks first that its own client really encrypts.
 */
import type { LoadedDataConverter } from '@temporalio/common';
import { CONFIG_BACKUP_KEY_ENV } from '../../domain/config-backup/keyring-name.js';
import { ConfigCryptoError } from '../../domain/config-backup/errors.js';
import { SentinelPayloadCodec } from './payload-codec.js';

/** Any Temporal client (`Client`, `WorkflowClient`, `ScheduleClient`): they all expose their loaded converter. */
export interface ClientWithConverter {
  options: { loadedDataConverter: LoadedDataConverter };
}

/** True when this client's payloads leave the process encrypted by the Sentinel codec. */
export function clientEncryptsPayloads(client: ClientWithConverter): boolean {
  return client.options.loadedDataConverter.payloadCodecs.some((codec) => codec instanceof SentinelPayloadCodec && codec.encrypts);
}

/**
 * Throws `ConfigCryptoError('MISSING_KEY')` unless the client encrypts payloads. `purpose` names what would have
 * leaked, e.g. `start configBackupWorkflow with application configs`.
 */
export function assertCodecForSecrets(client: ClientWithConverter, purpose: string): void {
  if (clientEncryptsPayloads(client)) return;
  throw new ConfigCryptoError(
    'MISSING_KEY',
    `refusing to ${purpose}: ${CONFIG_BACKUP_KEY_ENV} is not set, so the input would be stored in Temporal history in plaintext`,
  );
}
