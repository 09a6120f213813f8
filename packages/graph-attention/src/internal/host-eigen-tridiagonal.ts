/**
 * Householder reduction of a symmetric matrix to tridiagonal form (Golub & Van Loan, "Matrix
 * Computations", section 8.3.1), in float64. The trailing block is kept as a row-major lower triangle;
 * its product with the Householder vector and its rank-2 update run over contiguous rows, four rows at
 * a time so that each load of a vector entry serves four matrix entries.
 */

import { formQ } from './host-eigen-reflectors.js';

/**
 * Reduces the symmetric `a` (row-major `n x n`, lower triangle read, overwritten) to `Q^T A Q = T`.
 *
 * @param a - Row-major `n x n`; only the lower triangle is read. Overwritten with scratch.
 * @param n - The order.
 * @param diagonal - Receives the `n` diagonal entries of `T`.
 * @param offDiagonal - Receives the `n - 1` sub-diagonal entries of `T`.
 * @returns `Q` row-major `n x n` (column `j` of `Q` maps coordinate `j` of `T` back to `A`).
 */
export function tridiagonalize(
  a: Float64Array,
  n: number,
  diagonal: Float64Array,
  offDiagonal: Float64Array,
): Float64Array {
  // Reflector k is I - beta_k v v^T on coordinates k+1..n-1; v is kept in row k of `reflectors`.
  const reflectors = new Float64Array(n * n);
  const betas = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1;
    const offset = k + 1;
    const vBase = k * n + offset;
    const v = reflectors.subarray(vBase, vBase + m);
    let norm2 = 0;
    for (let i = 0; i < m; i++) {
      const value = a[(offset + i) * n + k];
      v[i] = value;
      norm2 += value * value;
    }
    const norm = Math.sqrt(norm2);
    if (norm === 0 || norm2 === v[0] * v[0]) {
      v.fill(0); // already tridiagonal in this column: no reflector (beta_k = 0)
      continue;
    }
    const alpha = v[0] >= 0 ? -norm : norm;
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < m; i++) vv += v[i] * v[i];
    const beta = 2 / vv;
    betas[k] = beta;
    symmetricLowerProduct(a, n, offset, m, v, p);
    let pv = 0;
    for (let i = 0; i < m; i++) {
      p[i] *= beta;
      pv += p[i] * v[i];
    }
    // w = p - (beta / 2)(p . v) v; S -= v w^T + w v^T on the lower triangle.
    const scale = 0.5 * beta * pv;
    for (let i = 0; i < m; i++) p[i] -= scale * v[i];
    symmetricLowerRankTwoUpdate(a, n, offset, m, v, p);
    a[offset * n + k] = alpha;
  }
  for (let i = 0; i < n; i++) diagonal[i] = a[i * n + i];
  for (let i = 0; i < n - 1; i++) offDiagonal[i] = a[(i + 1) * n + i];
  return formQ(reflectors, betas, n);
}

/** `p[0..m) = S v` for the trailing block `S` of `a` starting at `offset`, read from its lower triangle. */
function symmetricLowerProduct(
  a: Float64Array,
  n: number,
  offset: number,
  m: number,
  v: Float64Array,
  p: Float64Array,
): void {
  p.fill(0, 0, m);
  let i = 0;
  // Four rows at a time share each load of v[j] and each update of p[j] left of their diagonal block.
  for (; i + 3 < m; i += 4) {
    const r0 = (offset + i) * n + offset;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[i];
    const v1 = v[i + 1];
    const v2 = v[i + 2];
    const v3 = v[i + 3];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < i; j++) {
      const vj = v[j];
      const a0 = a[r0 + j];
      const a1 = a[r1 + j];
      const a2 = a[r2 + j];
      const a3 = a[r3 + j];
      s0 += a0 * vj;
      s1 += a1 * vj;
      s2 += a2 * vj;
      s3 += a3 * vj;
      p[j] += a0 * v0 + a1 * v1 + (a2 * v2 + a3 * v3);
    }
    p[i] += s0;
    p[i + 1] += s1;
    p[i + 2] += s2;
    p[i + 3] += s3;
    for (let t = i; t < i + 4; t++) productRow(a, (offset + t) * n + offset, i, t, v, p);
  }
  for (; i < m; i++) productRow(a, (offset + i) * n + offset, 0, i, v, p);
}

/** Adds row `t` of the lower triangle, columns `from..t`, to `p = S v` (both its row and column roles). */
function productRow(a: Float64Array, row: number, from: number, t: number, v: Float64Array, p: Float64Array) {
  const vt = v[t];
  let s = 0;
  for (let j = from; j < t; j++) {
    const value = a[row + j];
    s += value * v[j];
    p[j] += value * vt;
  }
  p[t] += s + a[row + t] * vt;
}

/** `S -= v w^T + w v^T` on the lower triangle of the trailing block of `a` starting at `offset`. */
function symmetricLowerRankTwoUpdate(
  a: Float64Array,
  n: number,
  offset: number,
  m: number,
  v: Float64Array,
  w: Float64Array,
): void {
  let i = 0;
  // Four rows at a time share each load of v[j] and w[j] up to the first row's diagonal.
  for (; i + 3 < m; i += 4) {
    const r0 = (offset + i) * n + offset;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[i];
    const v1 = v[i + 1];
    const v2 = v[i + 2];
    const v3 = v[i + 3];
    const w0 = w[i];
    const w1 = w[i + 1];
    const w2 = w[i + 2];
    const w3 = w[i + 3];
    for (let j = 0; j <= i; j++) {
      const vj = v[j];
      const wj = w[j];
      a[r0 + j] -= v0 * wj + w0 * vj;
      a[r1 + j] -= v1 * wj + w1 * vj;
      a[r2 + j] -= v2 * wj + w2 * vj;
      a[r3 + j] -= v3 * wj + w3 * vj;
    }
    for (let t = i + 1; t < i + 4; t++) updateRow(a, (offset + t) * n + offset, i + 1, t, v, w);
  }
  for (; i < m; i++) updateRow(a, (offset + i) * n + offset, 0, i, v, w);
}

/** Row `t` of the lower triangle, columns `from..t`, of `S -= v w^T + w v^T`. */
function updateRow(a: Float64Array, row: number, from: number, t: number, v: Float64Array, w: Float64Array) {
  const vt = v[t];
  const wt = w[t];
  for (let j = from; j <= t; j++) a[row + j] -= vt * w[j] + wt * v[j];
}
