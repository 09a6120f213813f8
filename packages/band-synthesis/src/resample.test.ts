import { describe, expect, it } from 'vitest';
import { blockMean, upsampleBicubic } from './resample.js';

describe('resampling', () => {
  it('block mean averages each block', () => {
    const band = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), rows: 2, cols: 4 };
    expect(Array.from(blockMean(band, 2).data)).toEqual([3.5, 5.5]);
    expect(() => blockMean(band, 3)).toThrow(/blockMean: size 2 x 4 is not a multiple of the ratio 3/);
  });

  it('bicubic reproduces constants, and linear ramps away from the edges', () => {
    const constant = upsampleBicubic({ data: new Float32Array(9).fill(7), rows: 3, cols: 3 }, 2);
    for (const value of constant.data) expect(value).toBeCloseTo(7, 6);
    const ramp = { data: Float32Array.from({ length: 36 }, (_, i) => i % 6), rows: 6, cols: 6 };
    const up = upsampleBicubic(ramp, 2);
    // Interior output column c sits at input position (c + 0.5) / 2 - 0.5.
    for (let c = 4; c < 8; c++) expect(up.data[5 * 12 + c]).toBeCloseTo((c + 0.5) / 2 - 0.5, 5);
  });
});
