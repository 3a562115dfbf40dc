import { preBackupWorkflowId } from '../../domain/pre-backup/contract.js';

export interface PlannedRun {
  target: string;
  scheduledAt: string;
  workflowId: string;
}

// Phases get disjoint scheduled times (workflow IDs are namespace-wide): phase p starts p x 30 days after the base.
const BASE = Date.UTC(2031, 0, 1);
const PHASE_SPAN_MS = 30 * 24 * 3_600_000;

export function plannedRun(phase: number, target: string, slot: number, slotMs: number): PlannedRun {
  const scheduledAt = new Date(BASE + phase * PHASE_SPAN_MS + slot * slotMs).toISOString();
  return { target, scheduledAt, workflowId: preBackupWorkflowId(target, scheduledAt) };
}

/**
 * `runs` logical runs spread round-robin over the targets: with 1,000 runs and 50 targets, 20 hourly scheduled
 * times per target, as 20 schedule firings would produce.
 */
export function burstPlan(phase: number, targets: readonly string[], runs: number): PlannedRun[] {
  return Array.from({ length: runs }, (_, i) => plannedRun(phase, targets[i % targets.length]!, Math.floor(i / targets.length), 3_600_000));
}

/**
 * The start order of a burst: every planned run once, plus `duplicates` second starts of runs spread evenly over
 * the plan, each placed half a stride after its original so it arrives while the burst is still going.
 */
export function withDuplicates(
  plan: readonly PlannedRun[],
  duplicates: number,
): { order: Array<{ run: PlannedRun; duplicateOf?: number }>; duplicateOf: number[] } {
  const count = Math.min(duplicates, plan.length);
  const stride = plan.length / Math.max(1, count);
  const duplicateOf = Array.from({ length: count }, (_, d) => Math.floor(d * stride));
  const insertAfter = new Map<number, number[]>();
  for (const original of duplicateOf) {
    const at = Math.min(plan.length - 1, original + Math.floor(stride / 2));
    insertAfter.set(at, [...(insertAfter.get(at) ?? []), original]);
  }
  const order: Array<{ run: PlannedRun; duplicateOf?: number }> = [];
  plan.forEach((run, i) => {
    order.push({ run });
    for (const original of insertAfter.get(i) ?? []) order.push({ run: plan[original]!, duplicateOf: original });
  });
  return { order, duplicateOf };
}
