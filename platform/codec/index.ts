// The encrypting Temporal payload codec, its key derivation, the codec endpoint and the secrets guard.
export { CodecKeys, codecKeysFromEnv, codecKeysFromSpec, codecKeysFromMasterKeys } from './codec-keys.js';
export {
  SentinelPayloadCodec,
  createPayloadCodec,
  isEncrypted,
  ENCRYPTED_ENCODING,
  METADATA_ENCRYPTION_KEY_ID,
  METADATA_ENCRYPTION_CIPHER,
  CODEC_CIPHER,
} from './payload-codec.js';
export { assertCodecForSecrets, clientEncryptsPayloads, type ClientWithConverter } from './secrets-guard.js';
export {
  startCodecServer,
  isLoopback,
  CodecServerConfigError,
  DEFAULT_CODEC_PORT,
  type CodecServer,
  type CodecServerOptions,
  type CodecServerLog,
} from './codec-server.js';
export { codecEndpointSettings, webUiOrigins, CODEC_PORT_ENV, CODEC_TOKEN_ENV, type CodecEndpointSettings } from './endpoint-settings.js';
export { payloadFromJson, payloadToJson, payloadsFromJsonBody, PayloadJsonError, type JsonPayload } from './payload-json.js';
export { startLocalCodecEndpoint, type LocalCodecEndpoint } from './local-endpoint.js';
