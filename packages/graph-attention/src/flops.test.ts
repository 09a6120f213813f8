import { describe, expect, it } from 'vitest';
import { fsgtFlops, windowAttentionFlops } from './flops.js';

describe('FLOP counts', () => {
  it('counts W-MSA by hand for one 7x7 window', () => {
    // 49 tokens, 8 channels: qkv 2*49*8*24, logits and values 2*2*49*49*8, projection 2*49*8*8.
    const count = windowAttentionFlops([1, 7, 7, 8], { numHeads: 2 });
    expect(count.projections).toBe(18816);
    expect(count.attention).toBe(76832);
    expect(count.output).toBe(6272);
    expect(count.total).toBe(18816 + 76832 + 6272);
  });

  it('counts FSGT by hand for four windows and scales the attention with the window count', () => {
    // 14x14x8, 4 windows, 2 heads with cut-offs [2, 3] -> kept 2 + 1; adjacency channels 2.
    const count = fsgtFlops([1, 14, 14, 8], { numHeads: 2, adjacencyChannels: 2 });
    expect(count.projections).toBe(2 * 196 * 8 * 28);
    expect(count.graph).toBe(2 * 16 * 49 * 2);
    expect(count.eigendecomposition).toBe(9 * 64);
    expect(count.filter).toBe(4 * 4 * 3 * 196);
    expect(count.attention).toBe(4 * 16 * 49 * 8);
    const constant = fsgtFlops([1, 14, 14, 8], {
      numHeads: 2,
      cutoffPolicy: 'constant',
      constantCutoffFraction: 0,
    });
    expect(constant.eigendecomposition + constant.filter + constant.graph).toBe(0);
  });
});
