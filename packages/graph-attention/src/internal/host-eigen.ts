/**
 * Host (CPU, float64) eigendecomposition of one real symmetric matrix.
 *
 * Householder reduction to tridiagonal form followed by the implicit symmetric QR algorithm with
 * Wilkinson shifts (Golub & Van Loan, "Matrix Computations", sections 8.3.1-8.3.3). Eigenvectors
 * are accumulated as the ROWS of a row-major matrix so that every inner loop runs over contiguous
 * memory.
 */

/** Result of {@link hostSymmetricEigen}. */
export interface HostEigenResult {
  /** Eigenvalues in ascending order, length `n`. */
  readonly values: Float64Array;
  /** Row-major `n x n`; row `i` is the unit eigenvector of `values[i]`. */
  readonly vectorRows: Float64Array;
}

/** Upper bound on implicit QR steps per eigenvalue before the solver gives up. */
const MAX_STEPS_PER_EIGENVALUE = 60;

/**
 * Eigendecomposition of a symmetric `n x n` matrix in float64.
 *
 * @param matrix - Row-major entries; only `(A + A^T) / 2` is used. Not modified.
 * @param n - The order of the matrix.
 * @returns Ascending eigenvalues and the matching eigenvectors (as rows).
 * @throws RangeError if the QR iteration does not converge (only possible for non-finite input).
 */
export function hostSymmetricEigen(matrix: ArrayLike<number>, n: number): HostEigenResult {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
  }
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(n - 1, 0));
  const rows = tridiagonalize(a, n, diagonal, offDiagonal);
  implicitQr(diagonal, offDiagonal, rows, n);
  return sortAscending(diagonal, rows, n);
}

/**
 * Reduces `a` (symmetric, overwritten) to tridiagonal `Q^T A Q`; returns `Q^T` row-major.
 */
function tridiagonalize(a: Float64Array, n: number, diagonal: Float64Array, offDiagonal: Float64Array) {
  const reflectors: Float64Array[] = [];
  const betas = new Float64Array(Math.max(n - 2, 0));
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1;
    const offset = k + 1;
    const v = new Float64Array(m);
    let norm2 = 0;
    for (let i = 0; i < m; i++) {
      v[i] = a[(offset + i) * n + k];
      norm2 += v[i] * v[i];
    }
    const norm = Math.sqrt(norm2);
    reflectors.push(v);
    if (norm === 0 || norm2 === v[0] * v[0]) {
      betas[k] = 0;
      continue;
    }
    const alpha = v[0] >= 0 ? -norm : norm;
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < m; i++) vv += v[i] * v[i];
    const beta = 2 / vv;
    betas[k] = beta;
    // p = beta * S v, S the trailing block, read from its lower triangle only (rows are contiguous).
    p.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const row = (offset + i) * n + offset;
      const vi = v[i];
      let s = a[row + i] * vi;
      for (let j = 0; j < i; j++) {
        const value = a[row + j];
        s += value * v[j];
        p[j] += value * vi;
      }
      p[i] += s;
    }
    let pv = 0;
    for (let i = 0; i < m; i++) {
      p[i] *= beta;
      pv += p[i] * v[i];
    }
    // w = p - (beta / 2)(p . v) v; S -= v w^T + w v^T on the lower triangle.
    const scale = 0.5 * beta * pv;
    for (let i = 0; i < m; i++) p[i] -= scale * v[i];
    for (let i = 0; i < m; i++) {
      const row = (offset + i) * n + offset;
      const vi = v[i];
      const wi = p[i];
      for (let j = 0; j <= i; j++) a[row + j] -= vi * p[j] + wi * v[j];
    }
    a[k * n + offset] = alpha;
    a[offset * n + k] = alpha;
  }
  for (let i = 0; i < n; i++) diagonal[i] = a[i * n + i];
  for (let i = 0; i < n - 1; i++) offDiagonal[i] = a[(i + 1) * n + i];
  // Q^T = H_{n-3} ... H_0, built as I * H_{n-3} * ... * H_0 so each step touches a shrinking block.
  const rows = new Float64Array(n * n);
  for (let i = 0; i < n; i++) rows[i * n + i] = 1;
  for (let k = n - 3; k >= 0; k--) {
    const beta = betas[k];
    if (beta === 0) continue;
    const v = reflectors[k];
    const offset = k + 1;
    const m = n - offset;
    for (let i = offset; i < n; i++) {
      const row = i * n + offset;
      let s = 0;
      for (let j = 0; j < m; j++) s += rows[row + j] * v[j];
      s *= beta;
      if (s === 0) continue;
      for (let j = 0; j < m; j++) rows[row + j] -= s * v[j];
    }
  }
  return rows;
}

/** Diagonalises the tridiagonal (diagonal, offDiagonal) in place, rotating the rows of `rows`. */
function implicitQr(diagonal: Float64Array, offDiagonal: Float64Array, rows: Float64Array, n: number): void {
  const d = diagonal;
  const e = offDiagonal;
  let steps = 0;
  const maxSteps = MAX_STEPS_PER_EIGENVALUE * Math.max(n, 1);
  let end = n - 1;
  while (end > 0) {
    // Deflate negligible off-diagonal entries.
    for (let i = 0; i < end; i++) {
      if (Math.abs(e[i]) <= Number.EPSILON * (Math.abs(d[i]) + Math.abs(d[i + 1]))) e[i] = 0;
    }
    while (end > 0 && e[end - 1] === 0) end--;
    if (end === 0) break;
    let start = end - 1;
    while (start > 0 && e[start - 1] !== 0) start--;
    if (++steps > maxSteps) {
      throw new RangeError('symmetricEigen: the QR iteration did not converge; is the input finite?');
    }
    qrStep(d, e, rows, n, start, end);
  }
}

/** One implicit Wilkinson-shifted QR step on the unreduced block `[start, end]`. */
function qrStep(d: Float64Array, e: Float64Array, rows: Float64Array, n: number, start: number, end: number) {
  const half = 0.5 * (d[end - 1] - d[end]);
  const last = e[end - 1];
  const denominator = half + (half >= 0 ? 1 : -1) * Math.hypot(half, last);
  const shift = d[end] - (last * last) / denominator;
  let x = d[start] - shift;
  let z = e[start];
  for (let k = start; k < end; k++) {
    const r = Math.hypot(x, z);
    const c = r === 0 ? 1 : x / r;
    const s = r === 0 ? 0 : -z / r;
    if (k > start) e[k - 1] = r;
    const p = d[k];
    const q = d[k + 1];
    const b = e[k];
    d[k] = p * c * c - 2 * b * c * s + q * s * s;
    d[k + 1] = p * s * s + 2 * b * c * s + q * c * c;
    e[k] = (p - q) * c * s + b * (c * c - s * s);
    if (k + 1 < end) {
      const f = e[k + 1];
      z = -s * f;
      e[k + 1] = c * f;
      x = e[k];
    }
    const rowK = k * n;
    const rowNext = rowK + n;
    for (let j = 0; j < n; j++) {
      const u = rows[rowK + j];
      const w = rows[rowNext + j];
      rows[rowK + j] = c * u - s * w;
      rows[rowNext + j] = s * u + c * w;
    }
  }
}

function sortAscending(values: Float64Array, rows: Float64Array, n: number): HostEigenResult {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i] - values[j]);
  const sortedValues = new Float64Array(n);
  const sortedRows = new Float64Array(n * n);
  order.forEach((source, target) => {
    sortedValues[target] = values[source];
    sortedRows.set(rows.subarray(source * n, source * n + n), target * n);
  });
  return { values: sortedValues, vectorRows: sortedRows };
}
