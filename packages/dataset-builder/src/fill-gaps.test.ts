import { describe, expect, it } from 'vitest';
import { fillGapsInverseDistance } from './fill-gaps.js';

/** Brute-force inverse-distance weighting over every valid cell within a Chebyshev radius, in float64. */
function bruteForce(
  values: Float32Array,
  width: number,
  row: number,
  column: number,
  radius: number,
): number {
  let num = 0;
  let den = 0;
  for (let r = row - radius; r <= row + radius; r += 1) {
    for (let c = column - radius; c <= column + radius; c += 1) {
      if (r < 0 || c < 0 || c >= width || r >= values.length / width) continue;
      const v = values[r * width + c]!;
      if (Number.isNaN(v)) continue;
      const w = 1 / ((r - row) ** 2 + (c - column) ** 2);
      num += w * v;
      den += w;
    }
  }
  return num / den;
}

describe('fillGapsInverseDistance', () => {
  it('reproduces a plane at the centre of a symmetric gap (closed form)', () => {
    const width = 9;
    const plane = Float32Array.from(
      { length: 81 },
      (_, i) => 2 * (i % width) - 3 * Math.floor(i / width) + 10,
    );
    const holed = Float32Array.from(plane);
    for (let r = 3; r <= 5; r += 1) for (let c = 3; c <= 5; c += 1) holed[r * width + c] = Number.NaN;
    const { values, filledCount, unfilledCount } = fillGapsInverseDistance(holed, width, 9);
    expect(filledCount).toBe(9);
    expect(unfilledCount).toBe(0);
    expect(values[4 * width + 4]).toBeCloseTo(plane[4 * width + 4]!, 4);
  });

  it('matches a brute-force float64 recomputation off-centre', () => {
    const width = 12;
    const grid = Float32Array.from({ length: 144 }, (_, i) => Math.sin(i * 0.7) * 5 + i * 0.1);
    for (const i of [13, 14, 25, 26, 27, 40, 100, 101]) grid[i] = Number.NaN;
    const { values } = fillGapsInverseDistance(grid, width, 12, { minimumNeighbours: 8 });
    // Cell 26 (row 2, col 2): ring 1 has 4 valid neighbours (< 8), ring 2 brings more, so radius 2.
    expect(values[26]).toBeCloseTo(bruteForce(grid, width, 2, 2, 2), 5);
    // Cell 100 (row 8, col 4): ring 1 has 7 valid, ring 2 closes the search.
    expect(values[100]).toBeCloseTo(bruteForce(grid, width, 8, 4, 2), 5);
  });

  it('leaves cells without data in reach as NaN and counts them', () => {
    const grid = new Float32Array(25).fill(Number.NaN);
    grid[0] = 1;
    const { values, unfilledCount } = fillGapsInverseDistance(grid, 5, 5, { maximumRadius: 2 });
    expect(values[2 * 5 + 2]).toBe(1);
    expect(Number.isNaN(values[24]!)).toBe(true);
    expect(unfilledCount).toBe(16);
    expect(() => fillGapsInverseDistance(grid, 4, 5)).toThrow(/^fillGapsInverseDistance:/);
  });
});
