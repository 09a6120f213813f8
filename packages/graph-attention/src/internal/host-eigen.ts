/**
 * Host (CPU, float64) eigendecomposition of one real symmetric matrix.
 *
 * Householder reduction to tridiagonal form `A = Q T Q^T` with `Q` formed explicitly, then the implicit
 * symmetric QR algorithm (Golub & Van Loan, "Matrix Computations", sections 8.3.1-8.3.3) run twice: a
 * cheap pass on `T` alone for the eigenvalues, then the pass that rotates the columns of `Q`, whose
 * shifts are those eigenvalues so that most eigenvalues deflate after one sweep (about half the
 * rotations of Wilkinson shifts alone). Every inner loop runs over contiguous memory.
 */

import { implicitQr } from './host-eigen-qr.js';
import { tridiagonalize } from './host-eigen-tridiagonal.js';

/** Result of {@link hostSymmetricEigen}. */
export interface HostEigenResult {
  /** Eigenvalues in ascending order, length `n`. */
  readonly values: Float64Array;
  /** Row-major `n x n`; row `i` is the unit eigenvector of `values[i]`. */
  readonly vectorRows: Float64Array;
}

/**
 * Eigendecomposition of a symmetric `n x n` matrix in float64.
 *
 * @param matrix - Row-major entries; only `(A + A^T) / 2` is used. Not modified.
 * @param n - The order of the matrix.
 * @returns Ascending eigenvalues and the matching eigenvectors (as rows).
 * @throws RangeError if the QR iteration does not converge (only possible for non-finite input).
 */
export function hostSymmetricEigen(matrix: ArrayLike<number>, n: number): HostEigenResult {
  // Only the lower triangle of the symmetrised matrix is read by the reduction.
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) a[i * n + j] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
  }
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(n - 1, 0));
  const vectors = tridiagonalize(a, n, diagonal, offDiagonal);
  implicitQr(diagonal, offDiagonal, vectors, n);
  return sortAscending(diagonal, vectors, n);
}

/** Sorts the eigenpairs ascending and turns the eigenvector columns of `vectors` into rows. */
function sortAscending(values: Float64Array, vectors: Float64Array, n: number): HostEigenResult {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i] - values[j]);
  const sortedValues = new Float64Array(n);
  const vectorRows = new Float64Array(n * n);
  for (let target = 0; target < n; target++) {
    const source = order[target];
    sortedValues[target] = values[source];
    const row = target * n;
    for (let i = 0; i < n; i++) vectorRows[row + i] = vectors[i * n + source];
  }
  return { values: sortedValues, vectorRows };
}
