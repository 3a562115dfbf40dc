import { access, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SettingsError, parseSettings, type SentinelSettings } from '../domain/settings/schema.js';
import { parseSentinelYaml } from '../domain/settings/sentinel-yaml.js';

/** The commented example shipped at the repository root (also what `sentinel init` writes). */
export const EXAMPLE_SETTINGS_PATH = fileURLToPath(new URL('../sentinel.example.yaml', import.meta.url));

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
