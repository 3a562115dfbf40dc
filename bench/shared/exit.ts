/**
 * Ends a benchmark process with `main`'s exit code, or 1 (and the error logged) when it throws. Explicitly: a bench
 * abandoned by Ctrl-C or its timeout may still hold sockets, timers or threads open that would keep node alive.
 */
export function exitWith(main: Promise<number>, log: (line: string) => void): void {
  main.then(
    (code) => process.exit(code),
    (error: Error) => {
      log(`failed: ${error.message}`);
      process.exit(1);
    },
  );
}
