/**
 * A fixed canary input: one upcoming run with a fixed short history, fed through the real feature pipeline. Its
 * probability is recorded when a model is stored; a restored or re-loaded model must give exactly the same number
 * (same artifact bytes, same arithmetic), which checks the classifier and its calibration end to end.
 */
import type { BackupRunRecord } from '../history/types.js';
import { featuresForUpcomingRun, type UpcomingRun } from '../ml/features.js';

const GIB = 1024 ** 3;
const HOUR = 3600_000;
const START = Date.UTC(2026, 0, 4, 2, 0, 0);

export const CANARY_UPCOMING: UpcomingRun = {
  target: 'canary',
  startAt: new Date(START),
  estimatedDuration: 1500,
  estimatedSize: 3 * GIB,
  databaseSizeGb: 120,
  freeSpaceGb: 5,
};

/** 48 hourly runs before the canary: mostly fine, two recent failures and a growing size. */
export function canaryHistory(): BackupRunRecord[] {
  const runs: BackupRunRecord[] = [];
  for (let k = 48; k >= 1; k--) {
    const failed = k === 2 || k === 5 || k === 26;
    runs.push({
      backupId: `canary-${k}`,
      target: 'canary',
      startedAt: new Date(START - k * HOUR),
      status: failed ? 'failed' : 'completed',
      durationSeconds: failed ? 300 : 900 + (48 - k) * 5,
      sizeBytes: Math.round((failed ? 0.4 : 1.8 + (48 - k) * 0.01) * GIB),
      databaseSizeGb: 118,
      freeSpaceGb: 6,
      estimatedDuration: 950,
      estimatedSize: Math.round(1.9 * GIB),
      errorMessage: failed ? 'canary failure' : null,
    });
  }
  return runs;
}

export function canaryFeatures(): number[] {
  return featuresForUpcomingRun(CANARY_UPCOMING, canaryHistory());
}
