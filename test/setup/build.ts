import { execFileSync } from 'node:child_process';

/**
 * The integration tests run the compiled code as users do (`bin/sentinel.js` and `npm start` run dist/), so dist/ is
 * brought up to date once before them: a no-op when nothing changed since the last build (scripts/build.mjs).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
