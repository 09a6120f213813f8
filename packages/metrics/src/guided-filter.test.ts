import { describe, expect, it } from 'vitest';
import { guidedFilter } from './guided-filter.js';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const random = (n: number, seed: number, scale = 1) => {
  const next = seeded(seed);
  return Float64Array.from({ length: n }, () => next() * scale);
};

/** The pixels of the clipped window around (column, row). */
function windowOf(width: number, height: number, radius: number, column: number, row: number): number[] {
  const pixels: number[] = [];
  for (let y = Math.max(0, row - radius); y <= Math.min(height - 1, row + radius); y++) {
    for (let x = Math.max(0, column - radius); x <= Math.min(width - 1, column + radius); x++)
      pixels.push(y * width + x);
  }
  return pixels;
}

/** Solves a small dense system by Gaussian elimination with partial pivoting. */
function solve(matrix: number[][], vector: number[]): number[] {
  const n = vector.length;
  const m = matrix.map((row, i) => [...row, vector[i]]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++)
      if (Math.abs(m[row][column]) > Math.abs(m[pivot][column])) pivot = row;
    [m[column], m[pivot]] = [m[pivot], m[column]];
    for (let row = column + 1; row < n; row++) {
      const factor = m[row][column] / m[column][column];
      for (let k = column; k <= n; k++) m[row][k] -= factor * m[column][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = m[row][n];
    for (let k = row + 1; k < n; k++) sum -= m[row][k] * x[k];
    x[row] = sum / m[row][row];
  }
  return x;
}

/** The guided filter written out window by window, for comparison (guide bands already in [0, 1]). */
function naiveGuidedFilter(
  p: Float64Array,
  guide: Float64Array[],
  width: number,
  height: number,
  radius: number,
  epsilon: number,
): Float64Array {
  const k = guide.length;
  const size = width * height;
  const a: number[][] = [];
  const b: number[] = [];
  for (let j = 0; j < size; j++) {
    const pixels = windowOf(width, height, radius, j % width, Math.floor(j / width));
    const mean = (f: (i: number) => number) => pixels.reduce((s, i) => s + f(i), 0) / pixels.length;
    const meanI = guide.map((band) => mean((i) => band[i]));
    const meanP = mean((i) => p[i]);
    const sigma = guide.map((bi, u) =>
      guide.map((bm, v) => mean((i) => bi[i] * bm[i]) - meanI[u] * meanI[v] + (u === v ? epsilon : 0)),
    );
    const cov = guide.map((band, u) => mean((i) => band[i] * p[i]) - meanI[u] * meanP);
    const coefficients = solve(sigma, cov);
    a.push(coefficients);
    b.push(meanP - coefficients.reduce((s, c, u) => s + c * meanI[u], 0));
  }
  return Float64Array.from({ length: size }, (_, j) => {
    const pixels = windowOf(width, height, radius, j % width, Math.floor(j / width));
    let value = pixels.reduce((s, i) => s + b[i], 0) / pixels.length;
    for (let u = 0; u < k; u++)
      value += (pixels.reduce((s, i) => s + a[i][u], 0) / pixels.length) * guide[u][j];
    return value;
  });
}

/** Scales a band to [0, 1] by its range, as the filter does. */
const unit = (band: Float64Array) => {
  const min = Math.min(...band);
  const max = Math.max(...band);
  return Float64Array.from(band, (v) => (v - min) / (max - min));
};

describe('guidedFilter', () => {
  it('matches the filter written out window by window, with three bands and with one', () => {
    const [width, height] = [7, 5];
    const p = random(35, 1, 100);
    const guide = [random(35, 2, 255), random(35, 3, 255), random(35, 4, 255)];
    for (const [bands, radius, epsilon] of [
      [guide, 1, 1e-2],
      [guide, 2, 1e-3],
      [[guide[1]], 1, 1e-2],
    ] as const) {
      const ours = guidedFilter(p, bands, width, height, { radius, epsilon });
      const naive = naiveGuidedFilter(p, bands.map(unit), width, height, radius, epsilon);
      ours.forEach((value, i) => {
        expect(value).toBeCloseTo(naive[i], 8);
      });
    }
  });

  it('is the mean of box means where the guide is flat', () => {
    const [width, height, radius] = [9, 6, 2];
    const p = random(54, 5, 10);
    const flat = new Float64Array(54).fill(7);
    const out = guidedFilter(p, [flat, flat, flat], width, height, { radius, epsilon: 1e-3 });
    const boxMean = (values: Float64Array) =>
      Float64Array.from(values, (_, j) => {
        const pixels = windowOf(width, height, radius, j % width, Math.floor(j / width));
        return pixels.reduce((s, i) => s + values[i], 0) / pixels.length;
      });
    const expected = boxMean(boxMean(p));
    out.forEach((value, i) => {
      expect(value).toBeCloseTo(expected[i], 10);
    });
  });

  it('reproduces an input that is an affine function of the guide when epsilon is small', () => {
    const [width, height] = [12, 10];
    const guide = [random(120, 6, 200), random(120, 7, 200), random(120, 8, 200)];
    const p = Float64Array.from(
      { length: 120 },
      (_, i) => 3 * guide[0][i] - 2 * guide[1][i] + 0.5 * guide[2][i] + 40,
    );
    const out = guidedFilter(p, guide, width, height, { radius: 3, epsilon: 1e-10 });
    out.forEach((value, i) => {
      expect(value).toBeCloseTo(p[i], 4);
    });
  });

  it('names what is wrong with its input', () => {
    expect(() => guidedFilter(new Float64Array(4), [new Float64Array(4)], 3, 2)).toThrow(
      /input has 4 values, expected 3 x 2/,
    );
    expect(() => guidedFilter(new Float64Array(4), [new Float64Array(4), new Float64Array(4)], 2, 2)).toThrow(
      /1 or 3 bands/,
    );
    expect(() => guidedFilter(new Float64Array(4), [new Float64Array(4)], 2, 2, { epsilon: 0 })).toThrow(
      /epsilon/,
    );
  });
});
