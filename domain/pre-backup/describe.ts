import { formatDuration } from '../freshness/objective.js';
import type { PreBackupState } from './contract.js';

const PHASE_TEXT: Record<PreBackupState['phase'], string> = {
  predicting: 'predicting',
  alerting: 'alerting',
  delaying: 'delayed',
  'awaiting-approval': 'awaiting approval',
  'backing-up': 'backing up',
  recording: 'recording',
  done: 'done',
};

/**
 * One line for the Temporal Web UI's "current details", e.g. `orders-db: risk high (0.73) -> awaiting approval`,
 * so an operator sees where each run stands without opening its history.
 */
export function describeGate(state: PreBackupState): string {
  const risk = state.prediction ? `risk ${state.prediction.riskLevel} (${state.prediction.failureProbability.toFixed(2)})` : 'risk not yet predicted';
  let where = PHASE_TEXT[state.phase];
  if (state.phase === 'delaying') where = `delayed (delay ${state.delays + 1})`;
  if (state.phase === 'done') {
    where = state.decision ?? 'done';
    if (state.backup) where += `, backup ${state.backup.status}`;
    const anomalous = state.anomalies.filter((a) => a.isAnomaly).length;
    if (anomalous > 0) where += `, ${anomalous} anomal${anomalous === 1 ? 'y' : 'ies'}`;
  }
  return `${state.target}: ${risk} -> ${where}${state.escalated && state.phase === 'awaiting-approval' ? ' (escalated after delays)' : ''}${describeFreshness(state.freshness)}`;
}

/** `; backups fresh: last success 3h ago, maxAge 1d2h` (or STALE), for targets with a freshness objective. */
function describeFreshness(freshness: PreBackupState['freshness']): string {
  if (!freshness || (freshness.state !== 'fresh' && freshness.state !== 'stale') || freshness.maxAgeSeconds === null) return '';
  const last = freshness.ageSeconds === null ? 'no successful backup yet' : `last success ${formatDuration(freshness.ageSeconds * 1000)} ago`;
  return `; backups ${freshness.state === 'stale' ? 'STALE' : 'fresh'}: ${last}, maxAge ${formatDuration(freshness.maxAgeSeconds * 1000)}`;
}
