/**
 * The point-in-time walk behind every evaluation over a whole history (feature rows for training, the rules'
 * context per run): per target, runs in start order, and before each run the target's runs that had finished by
 * then (ended at or before its start, and started strictly before it) are revealed in end order. O(n log n), and
 * no run ever sees one that was still running or started with it. Pure: callers keep their own per-target state.
 */
export interface PointInTimeVisitor {
  /** A target's walk begins; `byStart` holds its rows in start order (ties by row index). */
  beginTarget(byStart: Int32Array): void;
  /** Row `j` has finished before the row about to be visited started: it is history from now on. */
  reveal(j: number): void;
  /** Row `i`, at position `rank` of its target's start order, starts at `startMs`. */
  visit(i: number, rank: number, startMs: number): void;
}

export function sweepPointInTime(targetOf: (row: number) => string, startMs: Float64Array, endMs: Float64Array, visitor: PointInTimeVisitor): void {
  const byTarget = new Map<string, number[]>();
  for (let i = 0; i < startMs.length; i++) {
    const target = targetOf(i);
    let group = byTarget.get(target);
    if (!group) {
      group = [];
      byTarget.set(target, group);
    }
    group.push(i);
  }
  for (const group of byTarget.values()) {
    const byStart = Int32Array.from(group).sort((a, b) => (startMs[a] as number) - (startMs[b] as number) || a - b);
    // Ties on end are broken by start so zero-length runs (start == end) come after the others ending then.
    const byEnd = Int32Array.from(group).sort(
      (a, b) => (endMs[a] as number) - (endMs[b] as number) || (startMs[a] as number) - (startMs[b] as number) || a - b,
    );
    visitor.beginTarget(byStart);
    let revealed = 0;
    for (let rank = 0; rank < byStart.length; rank++) {
      const i = byStart[rank] as number;
      const t = startMs[i] as number;
      while (revealed < byEnd.length) {
        const j = byEnd[revealed] as number;
        if (!((endMs[j] as number) <= t && (startMs[j] as number) < t)) break;
        revealed++;
        visitor.reveal(j);
      }
      visitor.visit(i, rank, t);
    }
  }
}
