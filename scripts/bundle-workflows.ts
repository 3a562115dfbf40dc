// `npm run bundle:workflows [FILE]`: writes the prebuilt workflow bundle (default dist/workflow-bundle.js) and its
// traced twin beside it (dist/workflow-bundle.traced.js, with the OpenTelemetry workflow interceptors, loaded when
// OTEL_EXPORTER_OTLP_ENDPOINT is set); point a worker at the plain one with SENTINEL_WORKFLOW_BUNDLE=FILE.
import path from 'node:path';
import { writeWorkflowBundle } from '../workers/workflow-bundle.js';
import { tracedBundlePath } from '../workers/tracing.js';

const file = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
await writeWorkflowBundle(file);
await writeWorkflowBundle(tracedBundlePath(file), { tracing: true });
process.stdout.write(`${file}\n${tracedBundlePath(file)}\n`);
