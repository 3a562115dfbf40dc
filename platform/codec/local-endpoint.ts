/**
 * The codec endpoint `npm start` runs next to its dev server, so the Web UI it opens shows decoded payloads.
 * Without `CONFIG_BACKUP_KEY` nothing is encrypted and no endpoint is started; a malformed key throws.
 */
import { startCodecServer, type CodecServer, type CodecServerLog } from './codec-server.js';
import { CODEC_TOKEN_ENV, codecEndpointSettings, webUiOrigins } from './endpoint-settings.js';
import { createPayloadCodec } from './payload-codec.js';

export interface LocalCodecEndpoint {
  /** Undefined when no key is configured. */
  server: CodecServer | undefined;
  /** One line for the operator: where the endpoint is, or why there is none. */
  note: string;
}

export async function startLocalCodecEndpoint(options: {
  env: Readonly<Record<string, string | undefined>>;
  uiPort: number;
  namespace: string;
  log?: CodecServerLog;
}): Promise<LocalCodecEndpoint> {
  const codec = createPayloadCodec(options.env);
  if (!codec.encrypts) {
    return { server: undefined, note: 'CONFIG_BACKUP_KEY is not set: Temporal payloads are not encrypted and no codec endpoint runs' };
  }
  const settings = codecEndpointSettings(options.env);
  const server = await startCodecServer({
    codec,
    port: settings.port,
    token: settings.token,
    allowedOrigins: webUiOrigins(options.uiPort),
    namespaces: [options.namespace],
    log: options.log,
  });
  const tokenNote = settings.token ? ` (${CODEC_TOKEN_ENV} is set: the dev server's Web UI cannot send it, so it will show encoded payloads)` : '';
  return { server, note: `Codec endpoint: ${server.url}, key id ${codec.activeKeyId}; the Web UI decodes payloads through it${tokenNote}` };
}
