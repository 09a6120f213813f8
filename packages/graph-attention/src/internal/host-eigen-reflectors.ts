/**
 * Explicit orthogonal factor of the Householder tridiagonalisation. Reflectors are applied in pairs,
 * `(I - b1 v1 v1^T)(I - b2 v2 v2^T) B`, so that each pass over `B` serves two reflectors, and every pass
 * runs over four contiguous rows at a time.
 */

/**
 * `Q = H_0 H_1 ... H_{n-3}` row-major, built backwards: the partial product is the identity outside rows
 * and columns `k+1..n-1`, and the reflectors are applied from the left two at a time.
 *
 * @param reflectors - Row-major `n x n`; row `k` holds the vector of `H_k = I - beta_k v v^T` in columns
 *   `k+1..n-1` and zeros elsewhere.
 * @param betas - `beta_k` per reflector (0: no reflector).
 * @param n - The order.
 * @returns `Q` row-major `n x n`.
 */
export function formQ(reflectors: Float64Array, betas: Float64Array, n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let k = n - 3;
  for (; k >= 1; k -= 2) {
    // H_{k-1} H_k on the block from row/column k; reflector k's vector starts one row lower, and entry
    // (k, k) of `reflectors` (never written) is its zero padding.
    applyReflectorPair(q, n, k, k - 1, betas[k - 1], k, betas[k], reflectors, x, y);
  }
  if (k === 0) applyReflectorPair(q, n, 1, 0, betas[0], 0, 0, reflectors, x, y);
  return q;
}

/**
 * `B <- (I - b1 v1 v1^T)(I - b2 v2 v2^T) B` on the trailing block of `q` from row/column `offset`, where
 * `v1`, `v2` are row `first`, `second` of `reflectors` from column `offset` on. With `x = v2^T B` and
 * `y = v1^T B` (one pass over `B`): `B -= b2 v2 x^T + b1 v1 (y - b2 (v1 . v2) x)^T` (a second pass).
 */
function applyReflectorPair(
  q: Float64Array,
  n: number,
  offset: number,
  first: number,
  b1: number,
  second: number,
  b2: number,
  reflectors: Float64Array,
  x: Float64Array,
  y: Float64Array,
): void {
  if (b1 === 0 && b2 === 0) return;
  const m = n - offset;
  const base1 = first * n + offset;
  const base2 = second * n + offset;
  x.fill(0, 0, m);
  y.fill(0, 0, m);
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = (offset + i) * n + offset;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const u0 = reflectors[base2 + i];
    const u1 = reflectors[base2 + i + 1];
    const u2 = reflectors[base2 + i + 2];
    const u3 = reflectors[base2 + i + 3];
    const v0 = reflectors[base1 + i];
    const v1 = reflectors[base1 + i + 1];
    const v2 = reflectors[base1 + i + 2];
    const v3 = reflectors[base1 + i + 3];
    for (let j = 0; j < m; j++) {
      const q0 = q[r0 + j];
      const q1 = q[r1 + j];
      const q2 = q[r2 + j];
      const q3 = q[r3 + j];
      x[j] += u0 * q0 + u1 * q1 + (u2 * q2 + u3 * q3);
      y[j] += v0 * q0 + v1 * q1 + (v2 * q2 + v3 * q3);
    }
  }
  for (; i < m; i++) {
    const row = (offset + i) * n + offset;
    const u = reflectors[base2 + i];
    const v = reflectors[base1 + i];
    for (let j = 0; j < m; j++) {
      x[j] += u * q[row + j];
      y[j] += v * q[row + j];
    }
  }
  let overlap = 0;
  for (let t = 0; t < m; t++) overlap += reflectors[base1 + t] * reflectors[base2 + t];
  const coupling = b2 * overlap;
  for (let j = 0; j < m; j++) y[j] -= coupling * x[j];
  i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = (offset + i) * n + offset;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const f0 = b2 * reflectors[base2 + i];
    const f1 = b2 * reflectors[base2 + i + 1];
    const f2 = b2 * reflectors[base2 + i + 2];
    const f3 = b2 * reflectors[base2 + i + 3];
    const g0 = b1 * reflectors[base1 + i];
    const g1 = b1 * reflectors[base1 + i + 1];
    const g2 = b1 * reflectors[base1 + i + 2];
    const g3 = b1 * reflectors[base1 + i + 3];
    for (let j = 0; j < m; j++) {
      const xj = x[j];
      const yj = y[j];
      q[r0 + j] -= f0 * xj + g0 * yj;
      q[r1 + j] -= f1 * xj + g1 * yj;
      q[r2 + j] -= f2 * xj + g2 * yj;
      q[r3 + j] -= f3 * xj + g3 * yj;
    }
  }
  for (; i < m; i++) {
    const row = (offset + i) * n + offset;
    const f = b2 * reflectors[base2 + i];
    const g = b1 * reflectors[base1 + i];
    for (let j = 0; j < m; j++) q[row + j] -= f * x[j] + g * y[j];
  }
}
