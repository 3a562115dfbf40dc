/**
 * Environment variables to back up: those whose name starts with `CONFIG_ENV_PREFIX`. Pure: pass the environment
 * object in (`process.env` in an activity).
 *
 * The backup key itself is never selected, whatever the prefix, so the key cannot end up in its own backup.
 */
import { CONFIG_BACKUP_KEY_ENV } from './keyring-name.js';
import { classify, type Classification } from './sensitive.js';

export const CONFIG_ENV_PREFIX_ENV = 'CONFIG_ENV_PREFIX';

export interface EnvVar {
  name: string;
  value: string;
}

export interface ClassifiedEnvVar extends EnvVar {
  classification: Classification;
}

/** Variables whose name starts with `prefix` (case-sensitive), sorted by name. An empty prefix is refused. */
export function selectEnvVars(env: Readonly<Record<string, string | undefined>>, prefix: string): EnvVar[] {
  if (prefix === '') {
    throw new RangeError(`${CONFIG_ENV_PREFIX_ENV} is empty: refusing to back up the whole environment`);
  }
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && name !== CONFIG_BACKUP_KEY_ENV && typeof env[name] === 'string')
    .sort()
    .map((name) => ({ name, value: env[name]! }));
}

/** Each variable with its verdict; sensitive ones must be sealed (context `envContext(name)`), the rest kept as is. */
export function classifyEnvVars(vars: readonly EnvVar[], sensitiveKeys: readonly string[]): ClassifiedEnvVar[] {
  return vars.map((variable) => ({ ...variable, classification: classify(variable.name, variable.value, sensitiveKeys) }));
}
