import { describe, expect, it } from 'vitest';
import { applyDihedralTransform, type DihedralTransform } from './dihedral-transform.js';

describe('applyDihedralTransform', () => {
  const square = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]); // [[1,2,3],[4,5,6],[7,8,9]]

  it('matches NumPy for all eight transforms', () => {
    // Printed by: python3 -c "import numpy as np; a=np.arange(1,10).reshape(3,3);
    //   [print((np.fliplr(np.rot90(a,k%4)) if k>=4 else np.rot90(a,k)).ravel().tolist()) for k in range(8)]"
    const expected = [
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
      [3, 6, 9, 2, 5, 8, 1, 4, 7],
      [9, 8, 7, 6, 5, 4, 3, 2, 1],
      [7, 4, 1, 8, 5, 2, 9, 6, 3],
      [3, 2, 1, 6, 5, 4, 9, 8, 7],
      [9, 6, 3, 8, 5, 2, 7, 4, 1],
      [7, 8, 9, 4, 5, 6, 1, 2, 3],
      [1, 4, 7, 2, 5, 8, 3, 6, 9],
    ];
    for (const [k, row] of expected.entries()) {
      expect(Array.from(applyDihedralTransform(square, 3, 1, k as DihedralTransform))).toEqual(row);
    }
  });

  it('yields eight distinct images, moves channels together, and four quarter turns are the identity', () => {
    const seen = new Set<string>();
    for (let k = 0; k < 8; k += 1)
      seen.add(applyDihedralTransform(square, 3, 1, k as DihedralTransform).join());
    expect(seen.size).toBe(8);
    const interleaved = Float32Array.from({ length: 27 }, (_, i) => Math.floor(i / 3) + 1 + (i % 3) * 100);
    const turned = applyDihedralTransform(interleaved, 3, 3, 3);
    const single = applyDihedralTransform(square, 3, 1, 3);
    for (let p = 0; p < 9; p += 1)
      for (let ch = 0; ch < 3; ch += 1) expect(turned[p * 3 + ch]).toBe(single[p]! + ch * 100);
    let x: Float32Array = square;
    for (let k = 0; k < 4; k += 1) x = applyDihedralTransform(x, 3, 1, 1);
    expect(Array.from(x)).toEqual(Array.from(square));
    expect(() => applyDihedralTransform(square, 3, 1, 8 as DihedralTransform)).toThrow(RangeError);
  });
});
