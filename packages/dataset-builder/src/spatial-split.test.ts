import { describe, expect, it } from 'vitest';
import { assignSplitBlocks, patchOriginsInBlock, type SplitBlock } from './spatial-split.js';

const blocks = (n: number): SplitBlock[] =>
  Array.from({ length: n }, (_, k) => ({ scene: 0, blockRow: Math.floor(k / 10), blockColumn: k % 10 }));

describe('assignSplitBlocks', () => {
  it('allocates counts by largest remainder, reproducibly for a seed', () => {
    const assignment = assignSplitBlocks(blocks(20), {
      fractions: { train: 0.7, validation: 0.15, test: 0.15 },
      seed: 4,
    });
    const count = (name: string) => assignment.filter((s) => s === name).length;
    expect([count('train'), count('validation'), count('test')]).toEqual([14, 3, 3]);
    expect(assignSplitBlocks(blocks(20), { seed: 4 })).toEqual(assignment);
    // 12 blocks: 8.4 / 1.8 / 1.8 -> 8 / 2 / 2 (two remainders handed out); every block gets a split
    const twelve = assignSplitBlocks(blocks(12));
    expect(twelve.filter((s) => s === 'train')).toHaveLength(8);
    expect(twelve.filter((s) => s === 'test')).toHaveLength(2);
    expect(twelve.filter((s) => s === undefined)).toHaveLength(0);
    expect(assignSplitBlocks(blocks(20), { seed: 5 })).not.toEqual(assignment);
  });

  it('gives every split with a positive fraction a block when there are enough blocks', () => {
    const assignment = assignSplitBlocks(blocks(3), {
      fractions: { train: 0.8, validation: 0.1, test: 0.1 },
    });
    expect([...assignment].sort()).toEqual(['test', 'train', 'validation']);
    expect(() => assignSplitBlocks(blocks(3), { fractions: { train: 0, validation: 0, test: 0 } })).toThrow(
      RangeError,
    );
  });
});

describe('patchOriginsInBlock', () => {
  it('restarts the lattice per block and keeps guard bands only on shared sides', () => {
    const options = { blockSize: 64, guardBand: 4 };
    expect(patchOriginsInBlock(0, 0, 100, 64, 16, 16, options).slice(0, 4)).toEqual([
      [0, 0],
      [0, 16],
      [0, 32],
      [16, 0],
    ]);
    // block (0, 1): columns start at 64 + 4 and run to the scene edge 100 (no guard there): 68, 84
    const second = patchOriginsInBlock(0, 1, 100, 64, 16, 16, options);
    expect(new Set(second.map(([, c]) => c))).toEqual(new Set([68, 84]));
    // first block's columns stop 4 pixels before 64: 0, 16, 32 (32 + 16 = 48 <= 60), not 48 (48 + 16 = 64 > 60)
    expect(new Set(patchOriginsInBlock(0, 0, 100, 64, 16, 16, options).map(([, c]) => c))).toEqual(
      new Set([0, 16, 32]),
    );
    expect(() => patchOriginsInBlock(0, 0, 100, 100, 60, 60, options)).toThrow(/cannot hold/);
  });

  it('never lets patches of different blocks come closer than twice the guard band', () => {
    const options = { blockSize: 40, guardBand: 3 };
    const all = [];
    for (let br = 0; br < 3; br += 1)
      for (let bc = 0; bc < 3; bc += 1) {
        for (const origin of patchOriginsInBlock(br, bc, 110, 105, 10, 7, options))
          all.push({ block: `${br},${bc}`, origin });
      }
    let closest = Number.POSITIVE_INFINITY;
    for (const a of all)
      for (const b of all) {
        if (a.block === b.block) continue;
        const gapRows = Math.max(a.origin[0] - (b.origin[0] + 10), b.origin[0] - (a.origin[0] + 10));
        const gapColumns = Math.max(a.origin[1] - (b.origin[1] + 10), b.origin[1] - (a.origin[1] + 10));
        closest = Math.min(closest, Math.max(gapRows, gapColumns));
      }
    expect(closest).toBeGreaterThanOrEqual(6);
  });
});
