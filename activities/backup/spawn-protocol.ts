/** Messages between process.ts and its spawn helper process (spawn-helper.ts), over the IPC channel. */
export const TAIL_BYTES = 4096;

export interface SpawnRequest {
  id: number;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  shell: boolean;
}

export type SpawnMessage =
  | { id: number; type: 'spawned'; pid: number | undefined }
  | {
      id: number;
      type: 'close';
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      /** The last TAIL_BYTES of stdout and stderr together. */
      outputTail: string;
      spawnError?: { message: string; code?: string | undefined } | undefined;
    };
