/**
 * Errors of the encryption layer. Messages name the item (its context, e.g. `file:/etc/app.yaml`) and the key id,
 * never plaintext or key material, so they are safe to log and to show in the CLI.
 */
export type ConfigCryptoErrorCode =
  | 'MISSING_KEY'
  | 'INVALID_KEY'
  | 'UNKNOWN_KEY_ID'
  /** A key with a known id that is not the key that wrote the store under that id. */
  | 'KEY_MISMATCH'
  | 'TRUNCATED'
  | 'MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'AUTH_FAILED'
  | 'CONTENT_MISMATCH';

export class ConfigCryptoError extends Error {
  override readonly name = 'ConfigCryptoError';

  constructor(
    readonly code: ConfigCryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
