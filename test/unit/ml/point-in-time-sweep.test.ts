import { describe, expect, it } from 'vitest';
import { sweepPointInTime } from '../../../domain/history/point-in-time-sweep.js';

describe('sweepPointInTime', () => {
  it("shows each run only the same target's runs finished by its start (not those starting with it)", () => {
    // rows:         0    1    2    3    4    5
    const targets = ['a', 'a', 'a', 'b', 'a', 'b'];
    const start = Float64Array.from([0, 10, 10, 5, 30, 6]);
    const end = Float64Array.from([10, 10, 25, 6, 40, 6]);
    const seen: string[] = [];
    sweepPointInTime((i) => targets[i]!, start, end, {
      beginTarget: (byStart) => seen.push(`begin ${[...byStart].join(',')}`),
      reveal: (j) => seen.push(`reveal ${j}`),
      visit: (i, rank, t) => seen.push(`visit ${i}@${t} rank ${rank}`),
    });
    expect(seen).toEqual([
      'begin 0,1,2,4',
      'visit 0@0 rank 0',
      'reveal 0', // ended at 10, started before 10
      'visit 1@10 rank 1', // row 1 (zero-length, 10..10) is not visible to itself or to row 2 starting with it
      'visit 2@10 rank 2',
      'reveal 1',
      'reveal 2',
      'visit 4@30 rank 3',
      'begin 3,5',
      'visit 3@5 rank 0',
      'reveal 3',
      'visit 5@6 rank 1',
    ]);
  });
});
