import type { Client as TemporalClient, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createPayloadCodec } from './codec/payload-codec.js';
import { requireCommonJs } from './commonjs.js';
import { type ConnectionOverrides, connectClientConnection, resolveConnectionSettings, type TemporalConnectionSettings } from './temporal-connection.js';
import { clientTracingOptions } from './tracing.js';

const { Client } = requireCommonJs('@temporalio/client') as typeof import('@temporalio/client');

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

/**
 * A Temporal client with the project's data converter, connected with the settings of platform/temporal-connection.ts
 * (profile file, TEMPORAL_* variables, then `overrides`), or with `settings` resolved before. Fails with a ConnectionSettingsError or TemporalConnectError
 * of one line.
 */
export async function connectClient(
  options: { settings?: TemporalConnectionSettings; overrides?: ConnectionOverrides; fallbackAddress?: string | undefined; connectTimeoutMs?: number } = {},
): Promise<{ client: TemporalClient; connection: Connection; settings: TemporalConnectionSettings }> {
  const settings = options.settings ?? resolveConnectionSettings({ overrides: options.overrides ?? {}, fallbackAddress: options.fallbackAddress });
  const dataConverter = sentinelDataConverter(); // before connecting: a malformed key must not leak a connection
  const tracing = await clientTracingOptions(); // likewise a malformed OTEL_EXPORTER_OTLP_ENDPOINT
  const connection = await connectClientConnection(settings, options.connectTimeoutMs);
  const client = new Client({ connection, namespace: settings.namespace, dataConverter, ...tracing });
  return { client, connection, settings };
}
