import { Context } from '@temporalio/activity';
import { findTarget } from '../../domain/settings/schema.js';
import type { BackupResult } from '../../domain/pre-backup/contract.js';
import type { ActivityDeps } from '../deps.js';
import { asActivityError, invalidInput } from '../../platform/failures.js';
import { attemptFile, stopEarlierAttempts } from './attempts.js';
import { runBackupCommand } from './command.js';
import { dumpPostgres } from './postgres.js';
import { resolveAlertsQuietly } from '../../capabilities/alerts/service.js';
import { gateIncidentKey } from '../../domain/alerts/incident.js';
import { alertingDeps, deliveryWindow } from '../alerting.js';

/** What a gate waiting for approval may spend on its resolve before the backup starts (only a slow channel costs). */
const GATE_RESOLVE_MS = 10_000;

export interface RunBackupInput {
  target: string;
  /** Names the artifact, so retries of the same run reuse one file. */
  artifactName: string;
}

export function createBackupActivities(deps: ActivityDeps) {
  const alerting = alertingDeps(deps);
  return {
    /** Runs the real backup for a `postgres` or `command` target. Throws on failure so the workflow records it. */
    async runBackup(input: RunBackupInput): Promise<BackupResult> {
      let target;
      try {
        target = findTarget(await deps.loadSettings(), input.target);
      } catch (error) {
        throw asActivityError(error);
      }
      if (!/^[A-Za-z0-9._-]+$/.test(input.artifactName)) throw invalidInput(`artifactName must be a safe file name, got "${input.artifactName}"`);
      const timeoutMs = target.timeoutSeconds * 1000;
      const attempt = Context.current().info.attempt;
      if (target.kind === 'workflow') throw invalidInput(`target "${target.name}" is a workflow target: the workflow starts it as a child, not this activity`);
      // Never next to the attempt before it: a SIGKILLed worker's command or pg_dump may still run (attempts.ts).
      const stopped = await stopEarlierAttempts(deps.backupDir, target.name, input.artifactName, () =>
        Context.current().heartbeat({ stoppingEarlierAttempt: true }),
      );
      for (const s of stopped)
        deps.log.warn(
          { target: target.name, attempt, pgid: s.pgid, artifactName: s.artifactName, since: s.startedAt },
          'stopped a backup process an earlier attempt left running',
        );
      // The gate let the backup run: an approval wait it alerted about is over now, not when the backup ends.
      const execution = Context.current().info.workflowExecution;
      if (execution)
        await resolveAlertsQuietly(
          alerting,
          [{ incidentKey: gateIncidentKey(execution.workflowId, execution.runId), resolution: 'the gate let the backup run (approved, or the risk fell)' }],
          deliveryWindow(GATE_RESOLVE_MS),
        );
      const startedAt = new Date();
      const record = { file: attemptFile(deps.backupDir, target.name, input.artifactName), artifactName: input.artifactName };
      deps.log.info({ target: target.name, kind: target.kind, attempt }, 'backup started');
      if (target.kind === 'postgres') {
        const dump = await dumpPostgres(target.url, deps.backupDir, target.name, input.artifactName, timeoutMs, {
          attempt: record,
          embeddedDatabaseUrl: deps.embeddedDatabaseUrl,
          // Targets with restore drills get row counts in the dump's snapshot, for the drill to compare.
          countTables: target.drill ? (target.drill.countTables ?? 'cheap') : undefined,
          onCountProblem: (message) => deps.log.warn({ target: target.name }, message),
        });
        return {
          status: 'completed',
          startedAt: startedAt.toISOString(),
          durationSeconds: elapsed(startedAt),
          sizeBytes: dump.sizeBytes,
          path: dump.path,
          sha256: dump.sha256,
          ...(dump.tableCounts ? { tableCounts: dump.tableCounts } : {}),
        };
      }
      if (target.kind === 'command') {
        await runBackupCommand(target.command, timeoutMs, record);
        return { status: 'completed', startedAt: startedAt.toISOString(), durationSeconds: elapsed(startedAt), sizeBytes: null };
      }
      throw invalidInput(`target "${(target as { name: string }).name}" has an unknown kind`);
    },
  };
}

function elapsed(since: Date): number {
  return (Date.now() - since.getTime()) / 1000;
}
