/** For `bundleWorkflowCode`: keeps warnings and errors, drops the webpack report printed on every bundle. */
export const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => undefined,
};
