import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { DEFAULT_TEMPORAL_ADDRESS, readEnv } from './env.js';

export interface TemporalSettings {
  address?: string | undefined;
  namespace?: string | undefined;
}

/**
 * The one data converter every Temporal client and worker in the project uses, so payloads are encoded the
 * same way end to end. (The config-backup work adds its encrypting payload codec here.)
 */
export function sentinelDataConverter(): DataConverter {
  return {};
}

export async function connectClient(settings: TemporalSettings = {}): Promise<{ client: Client; connection: Connection }> {
  const env = readEnv();
  const address = settings.address ?? env.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5000 });
  } catch (error) {
    throw new Error(`cannot reach Temporal at ${address} (set TEMPORAL_ADDRESS, or run \`npm start\`): ${(error as Error).message}`);
  }
  const client = new Client({ connection, namespace: settings.namespace ?? env.temporalNamespace, dataConverter: sentinelDataConverter() });
  return { client, connection };
}
