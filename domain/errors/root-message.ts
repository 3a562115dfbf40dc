/**
 * The innermost message of an error chain. Temporal wraps an activity's error as WorkflowFailedError ->
 * ActivityFailure -> ApplicationFailure; the operator wants the last one. Pure: workflows use it too.
 */
export function rootMessage(error: unknown): string {
  let cause = error as Error | undefined;
  while (cause?.cause instanceof Error) cause = cause.cause;
  return cause?.message ?? String(error);
}
