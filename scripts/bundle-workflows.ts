// `npm run bundle:workflows [FILE]`: writes the prebuilt workflow bundle (default dist/workflow-bundle.js); point a
// worker at it with SENTINEL_WORKFLOW_BUNDLE=FILE.
import path from 'node:path';
import { writeWorkflowBundle } from '../workers/workflow-bundle.js';

const file = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
await writeWorkflowBundle(file);
process.stdout.write(`${file}\n`);
