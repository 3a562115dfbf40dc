/**
 * What a CLI or stand-alone worker process takes over from the local `npm start` service before reading its
 * environment: the development key (when CONFIG_BACKUP_KEY is unset) and the service's sentinel.yaml (when
 * SENTINEL_CONFIG is unset and the running service uses another one, e.g. the demo's). Explicit settings win.
 */
import { adoptDevKey } from './dev-key.js';
import { dataDirOf } from './env.js';
import { readRuntimeInfo } from './runtime-file.js';

export async function adoptLocalServiceSettings(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dataDir = dataDirOf(env);
  await adoptDevKey(dataDir, env);
  if (!env.SENTINEL_CONFIG?.trim()) {
    const runtime = await readRuntimeInfo(dataDir);
    if (runtime?.configPath) env.SENTINEL_CONFIG = runtime.configPath;
  }
}
