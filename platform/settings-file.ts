import { existsSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SettingsError, parseSettings, type SentinelSettings } from '../domain/settings/schema.js';
import { parseSentinelYaml } from '../domain/settings/sentinel-yaml.js';

/**
 * The commented example shipped at the repository root (also what `sentinel init` writes). Compiled, this module is
 * dist/platform/settings-file.js and the build puts a copy of the example in dist/ (for installs without the
 * sources, such as the Docker image); in a checkout the root's own file is the one to name.
 */
const BESIDE_CODE = fileURLToPath(new URL('../sentinel.example.yaml', import.meta.url));
const CHECKOUT_ROOT = fileURLToPath(new URL('../../sentinel.example.yaml', import.meta.url));
export const EXAMPLE_SETTINGS_PATH = import.meta.url.endsWith('.js') && existsSync(CHECKOUT_ROOT) ? CHECKOUT_ROOT : BESIDE_CODE;

/** Reads and validates sentinel.yaml. A missing file is an empty configuration (no targets), not an error. */
export async function loadSettings(configPath: string): Promise<SentinelSettings> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseSettings({}, configPath);
    throw new SettingsError(`cannot read ${configPath}: ${(error as Error).message}`);
  }
  return parseSentinelYaml(text, configPath);
}

export async function settingsFileExists(configPath: string): Promise<boolean> {
  return access(configPath).then(
    () => true,
    () => false,
  );
}

/** What to tell someone whose sentinel.yaml does not exist: where it was looked for and how to get one. */
export function missingSettingsMessage(configPath: string): string {
  return (
    `${configPath} does not exist, so no targets are configured: run \`npx sentinel init\` to write a commented one ` +
    `(or copy ${EXAMPLE_SETTINGS_PATH}), or point SENTINEL_CONFIG at yours`
  );
}

/** Re-reads the file only when it changed, so activities see edits without a worker restart at no per-call cost. */
export function cachedSettingsLoader(configPath: string): () => Promise<SentinelSettings> {
  let cached: { mtimeMs: number; size: number; config: SentinelSettings } | undefined;
  return async () => {
    const info = await stat(configPath).catch(() => undefined);
    if (info && cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.config;
    const config = await loadSettings(configPath);
    cached = info ? { mtimeMs: info.mtimeMs, size: info.size, config } : undefined;
    return config;
  };
}
