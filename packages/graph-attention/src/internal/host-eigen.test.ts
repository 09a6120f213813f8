import { describe, expect, it } from 'vitest';
import { hostSymmetricEigen } from './host-eigen.js';
import { randomSymmetric, seededUniform } from './test-helpers.js';

/** Float64 checks of a decomposition: residual, orthonormality, order. */
function decompositionErrors(
  matrix: Float64Array,
  n: number,
  values: Float64Array,
  vectorRows: Float64Array,
) {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(values[i]));
  scale = Math.max(scale, Number.MIN_VALUE);
  let residual = 0;
  let orthogonality = 0;
  let ascending = true;
  for (let k = 0; k < n; k++) {
    if (k > 0 && values[k] < values[k - 1]) ascending = false;
    for (let i = 0; i < n; i++) {
      let product = 0;
      for (let j = 0; j < n; j++) product += matrix[i * n + j] * vectorRows[k * n + j];
      residual = Math.max(residual, Math.abs(product - values[k] * vectorRows[k * n + i]) / scale);
    }
    for (let l = 0; l <= k; l++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += vectorRows[k * n + j] * vectorRows[l * n + j];
      orthogonality = Math.max(orthogonality, Math.abs(dot - (k === l ? 1 : 0)));
    }
  }
  return { residual, orthogonality, ascending };
}

/** Combinatorial Laplacian of a `rows x columns` grid graph (a path when `rows` is 1). */
function gridLaplacian(rows: number, columns: number): Float64Array {
  const n = rows * columns;
  const laplacian = new Float64Array(n * n);
  const link = (a: number, b: number) => {
    laplacian[a * n + b] -= 1;
    laplacian[b * n + a] -= 1;
    laplacian[a * n + a] += 1;
    laplacian[b * n + b] += 1;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      if (c + 1 < columns) link(r * columns + c, r * columns + c + 1);
      if (r + 1 < rows) link(r * columns + c, (r + 1) * columns + c);
    }
  }
  return laplacian;
}

/** Closed-form spectrum of the grid Laplacian: sums of path eigenvalues `2 - 2 cos(pi k / m)`, sorted. */
function gridSpectrum(rows: number, columns: number): Float64Array {
  const values: number[] = [];
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < columns; b++) {
      values.push(4 - 2 * Math.cos((Math.PI * a) / rows) - 2 * Math.cos((Math.PI * b) / columns));
    }
  }
  return Float64Array.from(values).sort();
}

/** Combinatorial Laplacian of the cycle on `n >= 3` nodes; spectrum `2 - 2 cos(2 pi k / n)` (pairs). */
function ringLaplacian(n: number): Float64Array {
  const laplacian = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    laplacian[i * n + i] = 2;
    laplacian[i * n + ((i + 1) % n)] = -1;
    laplacian[i * n + ((i + n - 1) % n)] = -1;
  }
  return laplacian;
}

/** `I - D^-1/2 A D^-1/2` of a dense random positive adjacency (eigenvalue 0, the rest clustered near 1). */
function randomNormalizedLaplacian(seed: number, n: number): Float64Array {
  const noise = randomSymmetric(seed, n);
  const degree = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) degree[i] += Math.exp(2 * noise[i * n + j]);
  }
  const laplacian = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const weight = Math.exp(2 * noise[i * n + j]) / Math.sqrt(degree[i] * degree[j]);
      laplacian[i * n + j] = (i === j ? 1 : 0) - weight;
    }
  }
  return laplacian;
}

function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
  }
  return difference;
}

const sizes = [1, 2, 3, 50, 200];

describe('hostSymmetricEigen', () => {
  const cases: [string, (n: number) => { matrix: Float64Array; spectrum?: Float64Array }][] = [
    ['a random symmetric matrix', (n) => ({ matrix: randomSymmetric(100 + n, n) })],
    ['a random normalised Laplacian', (n) => ({ matrix: randomNormalizedLaplacian(200 + n, n) })],
    [
      'a diagonal with repeated entries',
      (n) => {
        const entries = seededUniform(300 + n, n).map((value) => Math.round(8 * value));
        const matrix = new Float64Array(n * n);
        for (let i = 0; i < n; i++) matrix[i * n + i] = entries[i];
        return { matrix, spectrum: Float64Array.from(entries).sort() };
      },
    ],
    [
      'the identity',
      (n) => {
        const matrix = new Float64Array(n * n);
        for (let i = 0; i < n; i++) matrix[i * n + i] = 1;
        return { matrix, spectrum: new Float64Array(n).fill(1) };
      },
    ],
    [
      'a ring Laplacian (double eigenvalues)',
      (n) => {
        if (n < 3) return { matrix: gridLaplacian(1, n), spectrum: gridSpectrum(1, n) };
        const spectrum = new Float64Array(n);
        for (let k = 0; k < n; k++) spectrum[k] = 2 - 2 * Math.cos((2 * Math.PI * k) / n);
        return { matrix: ringLaplacian(n), spectrum: spectrum.sort() };
      },
    ],
    [
      'a grid Laplacian (repeated eigenvalues)',
      (n) => {
        const rows = n === 50 ? 5 : n === 200 ? 10 : 1;
        return { matrix: gridLaplacian(rows, n / rows), spectrum: gridSpectrum(rows, n / rows) };
      },
    ],
  ];

  for (const [name, make] of cases) {
    it(`decomposes ${name} to float64 accuracy, n = ${sizes.join(', ')}`, () => {
      for (const n of sizes) {
        const { matrix, spectrum } = make(n);
        const copy = Float64Array.from(matrix);
        const { values, vectorRows } = hostSymmetricEigen(matrix, n);
        expect(values).toBeInstanceOf(Float64Array);
        expect(vectorRows.length).toBe(n * n);
        expect(matrix).toEqual(copy);
        const errors = decompositionErrors(matrix, n, values, vectorRows);
        expect(errors.ascending).toBe(true);
        expect(errors.residual).toBeLessThan(1e-12);
        expect(errors.orthogonality).toBeLessThan(1e-12);
        if (spectrum !== undefined) expect(maxDifference(values, spectrum)).toBeLessThan(1e-12);
      }
    });
  }

  it('matches the closed form of a 2 x 2 matrix, vector signs aside', () => {
    // [[2, 1], [1, 2]]: eigenvalues 1 and 3 with vectors (1, -1) / sqrt 2 and (1, 1) / sqrt 2.
    const { values, vectorRows } = hostSymmetricEigen([2, 1, 1, 2], 2);
    expect(maxDifference(values, [1, 3])).toBeLessThan(1e-15);
    expect(vectorRows[0] * vectorRows[1]).toBeCloseTo(-0.5, 15);
    expect(vectorRows[2] * vectorRows[3]).toBeCloseTo(0.5, 15);
  });

  it('uses the symmetric part (A + A^T) / 2 of a non-symmetric input', () => {
    const n = 30;
    const matrix = seededUniform(7, n * n);
    const symmetric = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) symmetric[i * n + j] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
    }
    const { values, vectorRows } = hostSymmetricEigen(matrix, n);
    const errors = decompositionErrors(symmetric, n, values, vectorRows);
    expect(errors.residual).toBeLessThan(1e-12);
    expect(errors.orthogonality).toBeLessThan(1e-12);
  });

  it('keeps relative accuracy for tiny and huge scales', () => {
    const n = 40;
    const base = randomSymmetric(8, n);
    const reference = hostSymmetricEigen(base, n).values;
    for (const scale of [1e-100, 1e100]) {
      const scaled = base.map((value) => value * scale);
      const { values, vectorRows } = hostSymmetricEigen(scaled, n);
      const errors = decompositionErrors(scaled, n, values, vectorRows);
      expect(errors.residual).toBeLessThan(1e-12);
      expect(errors.orthogonality).toBeLessThan(1e-12);
      expect(
        maxDifference(
          values.map((value) => value / scale),
          reference,
        ),
      ).toBeLessThan(1e-12);
    }
  });

  it('returns empty results for n = 0', () => {
    const { values, vectorRows } = hostSymmetricEigen([], 0);
    expect(values.length).toBe(0);
    expect(vectorRows.length).toBe(0);
  });

  it('throws a RangeError when the iteration cannot converge (non-finite input)', () => {
    expect(() => hostSymmetricEigen([1, Number.NaN, Number.NaN, 1], 2)).toThrow(RangeError);
    expect(() => hostSymmetricEigen([1, Number.NaN, Number.NaN, 1], 2)).toThrow(/did not converge/);
  });
});
