/**
 * A sentinel.yaml that cannot be used (invalid, or an unknown target). Its own module, without the zod schema, so
 * that the CLI can recognise it on every error path without loading the schema for commands that never read it.
 */
export class SettingsError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}
