import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lockHolder } from './data-dir-lock.js';

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

export const runtimeFileIn = (dataDir: string) => path.join(dataDir, 'runtime.json');

export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  // 0600: databaseUrl carries the embedded database's password, which admits a client to the service's session.
  await writeFile(runtimeFileIn(dataDir), JSON.stringify(info, null, 2), { mode: 0o600 });
}

/**
 * The running service's info, or undefined when none runs: the file counts only while its writer holds the data
 * directory's lock (platform/data-dir-lock.ts), which also checks the pid was not reused by another process.
 */
export async function readRuntimeInfo(dataDir: string): Promise<RuntimeInfo | undefined> {
  const info = await readRuntimeFile(dataDir);
  return info && lockHolder(dataDir)?.pid === info.pid ? info : undefined;
}

async function readRuntimeFile(dataDir: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(runtimeFileIn(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

/** Removes the file only if this process wrote it: a failed second start must not delete the running one's. */
export async function removeRuntimeInfo(dataDir: string): Promise<void> {
  if ((await readRuntimeFile(dataDir))?.pid === process.pid) await rm(runtimeFileIn(dataDir), { force: true });
}
