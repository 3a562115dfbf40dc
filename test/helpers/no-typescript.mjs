// `node --import ./test/helpers/no-typescript.mjs dist/...`: any attempt to load a TypeScript module or tsx fails the
// process, so a test proves that the compiled output (dist/) runs on its own, as in the Docker image.
import { register } from 'node:module';

register('./no-typescript-hooks.mjs', import.meta.url);
