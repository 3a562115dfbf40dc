import { access, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseSentinelConfig, type SentinelConfig } from '../domain/config/sentinel-config.js';
import { parseSentinelYaml } from '../domain/config/sentinel-yaml.js';

/** The commented example shipped at the repository root (also what `sentinel init` writes). */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../sentinel.example.yaml', import.meta.url));

/** Reads and validates sentinel.yaml. A missing file is an empty configuration (no targets), not an error. */
export async function loadSentinelConfig(configPath: string): Promise<SentinelConfig> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseSentinelConfig({}, configPath);
    throw new ConfigError(`cannot read ${configPath}: ${(error as Error).message}`);
  }
  return parseSentinelYaml(text, configPath);
}

export async function configFileExists(configPath: string): Promise<boolean> {
  return access(configPath).then(
    () => true,
    () => false,
  );
}

/** What to tell someone whose sentinel.yaml does not exist: where it was looked for and how to get one. */
export function missingConfigMessage(configPath: string): string {
  return (
    `${configPath} does not exist, so no targets are configured: run \`npx sentinel init\` to write a commented one ` +
    `(or copy ${EXAMPLE_CONFIG_PATH}), or point SENTINEL_CONFIG at yours`
  );
}

/** Re-reads the file only when it changed, so activities see edits without a worker restart at no per-call cost. */
export function cachedConfigLoader(configPath: string): () => Promise<SentinelConfig> {
  let cached: { mtimeMs: number; size: number; config: SentinelConfig } | undefined;
  return async () => {
    const info = await stat(configPath).catch(() => undefined);
    if (info && cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.config;
    const config = await loadSentinelConfig(configPath);
    cached = info ? { mtimeMs: info.mtimeMs, size: info.size, config } : undefined;
    return config;
  };
}
