// Every workflow the worker registers. Workflow code is deterministic: no I/O, clocks, ML or crypto here.
export { preBackupWorkflow, stateQuery, approveSignal, rejectSignal, decideUpdate } from './pre-backup.js';
