import { Context } from '@temporalio/activity';
import { closeRestoreDrill, runRestoreDrill } from '../capabilities/drill/run-drill.js';
import type { RestoreDrillOutcome } from '../domain/drill/contract.js';
import { asActivityError } from '../platform/failures.js';
import type { ActivityDeps } from './deps.js';

export interface RestoreDrillActivityInput {
  target: string;
  drillId: string;
  workflowId: string;
}

/** Thin adapters around capabilities/drill: bind the worker's dependencies and heartbeat. */
export function createDrillActivities(deps: ActivityDeps) {
  const drillDeps = { db: deps.db, loadSettings: deps.loadSettings, drillDatabaseUrl: deps.drillDatabaseUrl, log: deps.log, backupDir: deps.backupDir };
  return {
    /** Runs one restore drill end to end (heartbeating); a retry resumes the same drill (capabilities/drill/run-drill.ts). */
    async runRestoreDrill(input: RestoreDrillActivityInput): Promise<RestoreDrillOutcome> {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat({ drillId: input.drillId }), 2_000);
      try {
        const outcome = await runRestoreDrill(drillDeps, { ...input, attempt: context.info.attempt, heartbeat: (details) => context.heartbeat(details) });
        deps.log.info({ target: input.target, status: outcome.status, restoreSeconds: outcome.restoreSeconds, backupId: outcome.backupId }, 'restore drill');
        return outcome;
      } catch (error) {
        throw asActivityError(error);
      } finally {
        clearInterval(beat);
      }
    },

    /** Drops what a drill that failed for good left behind and records it as failed (idempotent). */
    async closeRestoreDrill(input: RestoreDrillActivityInput & { error: string }): Promise<RestoreDrillOutcome> {
      return closeRestoreDrill(drillDeps, input);
    },
  };
}
