import type { WorkflowHandle } from '@temporalio/client';

/** Long enough for a default run's worst case (3 delays of 1 h, 12 h for approval, a 6 h backup), yet never forever. */
export const DEFAULT_WAIT_TIMEOUT_MS = 24 * 3_600_000;

export type WaitOutcome<T> = { finished: true; result: T } | { finished: false };

export interface WaitOptions {
  timeoutMs: number;
  /** What the run is doing now, e.g. "waiting for training workflow X: training 12/50"; shown on stderr. */
  progress?: () => Promise<string | undefined>;
  pollMs?: number;
}

/**
 * Waits for a workflow's result for at most `timeoutMs`, telling the person at the terminal what it waits for. On a
 * terminal the line is rewritten in place; otherwise (a script, a log file) a line is written only when the text
 * changes. The result's error (a failed run) is the caller's to map to an exit code.
 */
export async function waitForResult<T>(handle: WorkflowHandle, options: WaitOptions): Promise<WaitOutcome<T>> {
  const result = handle.result() as Promise<T>;
  // After a timeout nobody awaits the long poll any more; its rejection when the connection closes is expected.
  result.catch(() => undefined);
  const reporter = new ProgressLine(process.stderr);
  let timer: NodeJS.Timeout | undefined;
  let polling = true;
  const timedOut = new Promise<WaitOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ finished: false }), options.timeoutMs);
  });
  const poll = async () => {
    while (polling && options.progress) {
      const text = await options.progress().catch(() => undefined);
      if (!polling) break;
      if (text) reporter.show(text);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000).unref());
    }
  };
  void poll();
  try {
    return await Promise.race([result.then((value): WaitOutcome<T> => ({ finished: true, result: value })), timedOut]);
  } finally {
    polling = false;
    clearTimeout(timer);
    reporter.done();
  }
}

class ProgressLine {
  private last: string | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  show(text: string): void {
    if (text === this.last) return;
    this.last = text;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.stream.columns ?? 100) - 1))}`);
    else this.stream.write(`${text}\n`);
  }

  done(): void {
    if (this.stream.isTTY && this.last !== undefined) this.stream.write('\r\x1b[2K');
  }
}
