/**
 * What a benchmark acquired (dev server, scratch database, workers, connections), released in reverse order by
 * `close`, each step bounded in time so one stuck step cannot hang the bench; also when set-up fails half-way.
 */
export interface Closer {
  name: string;
  run: () => Promise<unknown>;
}

export interface Teardown {
  closers: Closer[];
  /** Aborted as `close` starts: long-running bench loops stop waiting. */
  closing: AbortController;
  /** Runs every closer; returns the problems (empty when all went well). */
  close: () => Promise<string[]>;
}

export function createTeardown(stepTimeoutMs: number): Teardown {
  const closers: Closer[] = [];
  const closing = new AbortController();
  const close = async (): Promise<string[]> => {
    closing.abort(new Error('the bench is shutting down'));
    const problems: string[] = [];
    for (const closer of closers.splice(0).reverse()) {
      try {
        await withTimeout(closer.run(), stepTimeoutMs, closer.name);
      } catch (error) {
        problems.push(`${closer.name}: ${(error as Error).message}`);
      }
    }
    return problems;
  };
  return { closers, closing, close };
}

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
