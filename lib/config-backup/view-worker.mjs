// Thread entry of the parse pool: the project is TypeScript run through tsx (no build step), so the thread
// registers tsx before loading its real code, exactly as bin/sentinel.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./view-worker.ts');
