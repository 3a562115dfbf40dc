/**
 * The two ways a Temporal connection fails before any work is done, as classes of their own so the CLI can map them
 * to exit codes (and the worker to one log line) without loading the connection code. Their messages are one line,
 * name the setting at fault and never carry key material or an API key.
 */

/** The settings themselves are wrong: a missing file, an empty API key, an unknown profile (CLI exit 2). */
export class ConnectionSettingsError extends Error {
  override name = 'ConnectionSettingsError';
}

/** The settings are well formed but the server could not be reached or refused them (CLI exit 1). */
export class TemporalConnectError extends Error {
  override name = 'TemporalConnectError';
}
