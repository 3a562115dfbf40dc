import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `npm start` writes where its Temporal server and embedded database listen to `.data/runtime.json`, so the CLI in
 * another terminal finds them without any environment variables.
 */
export interface RuntimeInfo {
  pid: number;
  temporalAddress: string;
  databaseUrl: string;
  uiUrl?: string | undefined;
  codecEndpoint?: string | undefined;
  /** The sentinel.yaml the worker uses, when not the default one (the demo's); the CLI follows it. */
  configPath?: string | undefined;
}

const fileIn = (dataDir: string) => path.join(dataDir, 'runtime.json');

export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(fileIn(dataDir), JSON.stringify(info, null, 2));
}

export async function readRuntimeInfo(dataDir: string): Promise<RuntimeInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(fileIn(dataDir), 'utf8')) as RuntimeInfo;
    process.kill(info.pid, 0); // throws when the service that wrote it is gone
    return info;
  } catch {
    return undefined;
  }
}

export async function removeRuntimeInfo(dataDir: string): Promise<void> {
  await rm(fileIn(dataDir), { force: true });
}
