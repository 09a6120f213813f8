import { describe, expect, it } from 'vitest';
import { headCutoffs } from './cutoff-policy.js';

describe('headCutoffs', () => {
  it('spreads heads over {floor(N/2) .. N-1}, ends included', () => {
    expect(headCutoffs(16, 4)).toEqual([8, 10, 13, 15]);
    expect(headCutoffs(361, 8)[0]).toBe(180);
    expect(headCutoffs(361, 8)[7]).toBe(360);
    expect(headCutoffs(9, 1)).toEqual([6]);
    expect(headCutoffs(1, 3)).toEqual([0, 0, 0]);
  });

  it('uses floor(fraction * N) for the constant ablation', () => {
    expect(headCutoffs(16, 3, 'constant')).toEqual([12, 12, 12]);
    expect(headCutoffs(16, 2, 'constant', 0)).toEqual([0, 0]);
  });

  it('rejects bad arguments', () => {
    expect(() => headCutoffs(0, 2)).toThrow(/headCutoffs: numNodes and numHeads must be positive integers/);
    expect(() => headCutoffs(8, 2, 'constant', 1)).toThrow(
      /headCutoffs: constantFraction must be in \[0, 1\)/,
    );
  });
});
