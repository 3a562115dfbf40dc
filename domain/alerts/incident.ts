/**
 * What an alert is about, and what ends it. Alerts of one incident share an incident key: PagerDuty's `dedup_key`,
 * the key a resolve names, and the thread a Slack or webhook receiver groups by. Pure (no I/O).
 *
 * - an anomaly incident: `anomaly-incident:<id>` (its alert's own dedupe key), resolved when the incident closes;
 * - a pre-backup gate: `gate:<workflowId>#<runId>` for its `preventive` and `escalation` alerts (one incident however
 *   many predictions), resolved when the gate decides (approved, rejected, timed out, or risk fell);
 * - a missed backup (`backup-failed`, `approval-timeout`): the alert's own dedupe key, resolved by the target's next
 *   successful backup;
 * - anything else (capacity, model, configuration backup alerts): its own dedupe key, resolved only through
 *   `resolveAlert` (capabilities/alerts/service.ts) by whoever knows it ended.
 */

/** Alert kinds that a later successful backup of the same target ends. */
export const RESOLVED_BY_SUCCESS: readonly string[] = ['backup-failed', 'approval-timeout'];

/** The gate alerts of one pre-backup run (`<workflowId>#<runId>:<kind>:<prediction round>`, workflows/pre-backup.ts). */
const GATE_ALERT = /^(.+#[^#:]+):(preventive|escalation):\d+$/;

export const gateIncidentKey = (workflowId: string, runId: string): string => `gate:${workflowId}#${runId}`;

export function incidentKeyOf(alert: { dedupeKey: string; kind: string }): string {
  const gate = GATE_ALERT.exec(alert.dedupeKey);
  if (gate && gate[2] === alert.kind) return `gate:${gate[1]}`;
  return alert.dedupeKey;
}

/**
 * Whether a pre-backup alert asks a person to decide: the workflow's message for a gate that waits for approval
 * ends in "awaiting approval" (preventive, manual policy or no delays left), and an escalation always leads to a wait.
 * The workflow's message is the contract here because changing the workflow's alert input would change its history.
 */
export function awaitsApproval(alert: { kind: string; message: string; workflowId: string | null }): boolean {
  if (alert.workflowId === null) return false;
  return alert.kind === 'escalation' || (alert.kind === 'preventive' && /awaiting approval$/.test(alert.message));
}
