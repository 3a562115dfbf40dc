/** One finished backup run of one target, as stored in `backup_runs` and as imported from history files. */
export interface BackupRunRecord {
  backupId: string;
  target: string;
  startedAt: Date;
  status: 'completed' | 'failed';
  durationSeconds: number;
  sizeBytes: number;
  databaseSizeGb?: number | null;
  freeSpaceGb?: number | null;
  estimatedDuration?: number | null;
  estimatedSize?: number | null;
  errorMessage?: string | null;
}

/** When a run ended: the instant after which its outcome may be used as history (point in time). */
export function endedAt(run: Pick<BackupRunRecord, 'startedAt' | 'durationSeconds'>): Date {
  return new Date(run.startedAt.getTime() + Math.max(0, run.durationSeconds) * 1000);
}

/** Summary of a target's past runs, used by the rule-based predictor and shown with every prediction. */
export interface HistoricalContext {
  /** Completed runs / all runs over the recent window (0..1); null when there is no history. */
  successRate: number | null;
  /** Failed runs in the recent window. */
  recentFailures: number;
  /** Median duration of recent successful runs, seconds. */
  typicalDurationSeconds: number | null;
  /** Median size of recent successful runs, bytes. */
  typicalSizeBytes: number | null;
  /** How many runs the context was computed from. */
  runCount: number;
  /** Hours since the last successful run; null when none. */
  hoursSinceLastSuccess: number | null;
}
