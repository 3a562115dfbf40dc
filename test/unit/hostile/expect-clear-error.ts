/**
 * The shared verdict of the hostile-input properties: a parser or validator given any input either answers, or
 * refuses with the project's own error type and a message that names the problem, and does so quickly.
 *
 * A refusal is not clear when it is a bare TypeError/RangeError from deep inside (unless the function documents
 * that type), when its message is empty, or when the message is the engine's own wording for a crash (stack
 * overflow, reading a property of undefined, ...). Synchronous code cannot be interrupted, so a hang is caught by
 * measuring each call; the fast-check plugins in `hostileParameters` make a property that runs too long fail.
 */
import fc from 'fast-check';
import { HOSTILE_SEED, PER_INPUT_MS, PROPERTY_TIME_LIMIT_MS } from './budgets.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
// biome-ignore lint/suspicious/noExplicitAny: the constructor type of any Error subclass, whatever its parameters
export type ErrorClass = abstract new (...args: any[]) => Error;

/** The engine's wording for crashes: a refusal carrying one of these did not recognise the problem itself. */
export const RAW_CRASH_MESSAGE =
  /Maximum call stack size exceeded|Cannot read propert|Cannot set propert|Cannot convert|is not a function|is not iterable|is not a constructor|undefined is not|null is not|Invalid array length|Invalid string length|Do not know how to serialize|Converting circular structure|Invalid time value|out of memory/i;

/** Longest acceptable message: a refusal names the problem, it does not echo megabytes of input back. */
export const MAX_MESSAGE_CHARS = 2_000;

export interface ClearErrorOptions {
  /** Error classes the function documents (its own error type, or the library's for option parsers). */
  accept: readonly ErrorClass[];
  /** Slowest acceptable call (default PER_INPUT_MS). */
  maxMs?: number;
}

export type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: Error; ms: number };

/**
 * Plain checks that throw on failure: these run tens of thousands of times per property, where vitest's `expect`
 * would dominate the run time.
 */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

export function assertClearMessage(message: unknown, what = 'message'): void {
  check(typeof message === 'string', () => `${what} is not a string: ${String(message)}`);
  const text = message as string;
  check(text.trim().length > 0, () => `${what} is empty`);
  check(text.length <= MAX_MESSAGE_CHARS, () => `${what} has ${text.length} characters (limit ${MAX_MESSAGE_CHARS}): ${text.slice(0, 200)}...`);
  check(!RAW_CRASH_MESSAGE.test(text), () => `${what} is a raw engine crash: ${text.slice(0, 300)}`);
}

/** Fails unless `error` is one of the accepted classes with a clear message. */
export function assertClearError(error: unknown, accept: readonly ErrorClass[]): asserts error is Error {
  const detail = () => (error instanceof Error ? `${error.constructor.name}: ${error.message.slice(0, 300)}` : String(error));
  check(
    accept.some((cls) => error instanceof cls),
    () =>
      `expected ${accept.map((c) => c.name).join(' | ') || 'no exception'}, got ${detail()}\n${(error as Error)?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`,
  );
  assertClearMessage((error as Error).message, `message of ${detail().slice(0, 120)}`);
}

function assertFast(ms: number, maxMs: number): void {
  check(ms <= maxMs, () => `answered in ${ms.toFixed(0)} ms (limit ${maxMs} ms)`);
}

/** Runs `run` once: it must return, or throw one of `accept` with a clear message, within the time limit. */
export function expectClearOutcome<T>(run: () => T, options: ClearErrorOptions): Outcome<T> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: run(), ms: performance.now() - started };
  } catch (error) {
    outcome = { ok: false, error: error as Error, ms: performance.now() - started };
  }
  return judged(outcome, options);
}

export async function expectClearOutcomeAsync<T>(run: () => Promise<T>, options: ClearErrorOptions): Promise<Outcome<T>> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: await run(), ms: performance.now() - started };
  } catch (error) {
    outcome = { ok: false, error: error as Error, ms: performance.now() - started };
  }
  return judged(outcome, options);
}

function judged<T>(outcome: Outcome<T>, options: ClearErrorOptions): Outcome<T> {
  if (!outcome.ok) assertClearError(outcome.error, options.accept);
  assertFast(outcome.ms, options.maxMs ?? PER_INPUT_MS);
  return outcome;
}

/** A function that must never throw: returns its value, failing on any exception or a slow answer. */
export function expectNoThrow<T>(run: () => T, maxMs = PER_INPUT_MS): T {
  const outcome = expectClearOutcome(run, { accept: [], maxMs });
  return (outcome as { value: T }).value;
}

/** Validators that report problems as a list of strings: the list itself must be clear. */
export function assertClearProblems(problems: unknown): string[] {
  check(Array.isArray(problems), () => `problems are not a list: ${String(problems)}`);
  (problems as unknown[]).forEach((problem, i) => assertClearMessage(problem, `problem #${i + 1}`));
  return problems as string[];
}

/**
 * fc.assert parameters for a hostile property: exactly `numRuns` inputs, failing (not silently stopping) when the
 * whole property outlives PROPERTY_TIME_LIMIT_MS, and no endless shrinking of a huge counterexample.
 */
export function hostileParameters<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return {
    numRuns,
    ...(HOSTILE_SEED !== undefined ? { seed: HOSTILE_SEED } : {}),
    plugins: [fc.interruptAfterTimeLimit(PROPERTY_TIME_LIMIT_MS, { failOnInterrupt: true }) as fc.Plugin<T>],
    ...extra,
  };
}
