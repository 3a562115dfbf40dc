// The bench worker's workflow entry: every product workflow plus the bench-only floor workflows, in one bundle, so the
// floor and the gate run on one worker. The product bundle (workflows/index.ts) does not include this file.
export * from '../workflows/index.js';
export * from './floor-workflows.js';
