import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, parseSentinelConfig, type SentinelConfig } from '../domain/config/sentinel-config.js';
import { assertYamlNesting } from '../domain/config/yaml-nesting.js';

/** Reads and validates sentinel.yaml. A missing file is an empty configuration (no targets), not an error. */
export async function loadSentinelConfig(configPath: string): Promise<SentinelConfig> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseSentinelConfig({}, configPath);
    throw new ConfigError(`cannot read ${configPath}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    assertYamlNesting(text);
    data = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split('\n')[0] : (error as Error).message;
    throw new ConfigError(`${configPath} is not valid YAML: ${detail}`);
  }
  return parseSentinelConfig(data, configPath);
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
