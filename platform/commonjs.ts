import { createRequire } from 'node:module';

/**
 * `require` for the CommonJS packages every Temporal command of the CLI loads (@temporalio/client, common, proto,
 * envconfig). An ES `import` of a CommonJS package makes Node 20 read and lex its source, and that of every file it
 * re-exports, to find its named exports before running it: for the Temporal SDK's packages (about 150 re-exported
 * files) that added 0.14 s of CPU to the 0.35 s of loading them, on every `sentinel` command that talks to Temporal
 * (BENCHMARKS.md, "CLI and worker start-up"). `require` runs the same module instances without that pass; types
 * still come from `import type`. Use it where the CLI's start-up matters, with `typeof import('pkg')` as its type.
 */
export const requireCommonJs = createRequire(import.meta.url);
