import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createPayloadCodec } from './codec/payload-codec.js';
import { DEFAULT_TEMPORAL_ADDRESS, readEnv } from './env.js';
import { clientTracingOptions } from './tracing.js';

export interface TemporalSettings {
  address?: string | undefined;
  namespace?: string | undefined;
}

/**
 * The one data converter every Temporal client and worker in the project uses, so payloads are encoded the
 * same way end to end: the Sentinel payload codec (platform/codec) encrypts every payload with a key derived from
 * `CONFIG_BACKUP_KEY`. Without that variable payloads go out unencrypted and encrypted ones fail to decode with
 * an error naming it; callers about to send secrets check with `assertCodecForSecrets`. A malformed key throws
 * here, so a worker or CLI with a broken key stops at once instead of at the first payload.
 */
export function sentinelDataConverter(env: Readonly<Record<string, string | undefined>> = process.env): DataConverter {
  return { payloadCodecs: [createPayloadCodec(env)] };
}

export async function connectClient(settings: TemporalSettings = {}): Promise<{ client: Client; connection: Connection }> {
  const env = readEnv();
  const address = settings.address ?? env.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  const dataConverter = sentinelDataConverter(); // before connecting: a malformed key must not leak a connection
  const tracing = await clientTracingOptions(); // likewise a malformed OTEL_EXPORTER_OTLP_ENDPOINT
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
  } catch (error) {
    throw new Error(`cannot reach Temporal at ${address} (set TEMPORAL_ADDRESS, or run \`npm start\`): ${(error as Error).message}`);
  }
  const client = new Client({ connection, namespace: settings.namespace ?? env.temporalNamespace, dataConverter, ...tracing });
  return { client, connection };
}
