/**
 * Implicit symmetric tridiagonal QR with Wilkinson shifts (Golub & Van Loan, "Matrix Computations",
 * sections 8.3.2-8.3.3). Each sweep first computes its chain of Givens rotations on the tridiagonal
 * alone, then applies the whole chain to the eigenvector matrix (see `rotateColumns`). The shifts are
 * the eigenvalues of a first, vector-free pass, so most eigenvalues deflate after a single sweep.
 */

import { rotateColumns } from './host-eigen-rotations.js';

/** Upper bound on implicit QR steps per eigenvalue before the solver gives up. */
const MAX_STEPS_PER_EIGENVALUE = 60;

/**
 * `e_i` is set to zero once `|e_i| <= DEFLATION_TOLERANCE * (|d_i| + |d_i+1|)`. A few units of roundoff
 * above machine epsilon: a perfect-shift sweep typically leaves the bottom entry at 1-30 epsilon, and
 * dropping it perturbs the matrix by far less than the Householder reduction's own backward error
 * (about `n * epsilon * ||A||`), so the looser test saves a whole extra sweep per eigenvalue for free.
 */
const DEFLATION_TOLERANCE = 16 * Number.EPSILON;

/** Range in which `x^2 + z^2` neither overflows nor loses accuracy to underflow. */
const SQUARE_SAFE_MINIMUM = 1e-150;
const SQUARE_SAFE_MAXIMUM = 1e150;

/**
 * Diagonalises the tridiagonal `(diagonal, offDiagonal)` in place and rotates the columns of `vectors`.
 *
 * @param diagonal - The `n` diagonal entries; receives the (unsorted) eigenvalues.
 * @param offDiagonal - The `n - 1` sub-diagonal entries; destroyed.
 * @param vectors - Row-major `n x n` whose columns are rotated (`vectors * Z` with `T = Z L Z^T`).
 * @param n - The order.
 * @throws RangeError if the iteration does not converge (only possible for non-finite input).
 */
export function implicitQr(
  diagonal: Float64Array,
  offDiagonal: Float64Array,
  vectors: Float64Array,
  n: number,
): void {
  const cosines = new Float64Array(n);
  const sines = new Float64Array(n);
  // Pass 1 (O(n^2), tridiagonal only): eigenvalue estimates, sorted, to serve as shifts in pass 2.
  const estimates = Float64Array.from(diagonal);
  iterate(estimates, Float64Array.from(offDiagonal), null, n, cosines, sines, null);
  estimates.sort();
  // Pass 2: the same iteration with the vectors, each block bottom first tried with a known eigenvalue.
  iterate(diagonal, offDiagonal, vectors, n, cosines, sines, estimates);
}

/**
 * Runs shifted QR sweeps until every off-diagonal entry is negligible. With `estimates`, the first sweep
 * after each deflation uses the unused estimate nearest the Wilkinson shift ("perfect shift": an exact
 * eigenvalue of the block deflates in one sweep in exact arithmetic); later sweeps use Wilkinson shifts.
 */
function iterate(
  d: Float64Array,
  e: Float64Array,
  vectors: Float64Array | null,
  n: number,
  cosines: Float64Array,
  sines: Float64Array,
  estimates: Float64Array | null,
): void {
  const used = estimates === null ? null : new Uint8Array(n);
  let steps = 0;
  const maxSteps = MAX_STEPS_PER_EIGENVALUE * Math.max(n, 1);
  let end = n - 1;
  let sweepsSinceDeflation = 0;
  while (end > 0) {
    // Deflate negligible off-diagonal entries.
    for (let i = 0; i < end; i++) {
      if (Math.abs(e[i]) <= DEFLATION_TOLERANCE * (Math.abs(d[i]) + Math.abs(d[i + 1]))) e[i] = 0;
    }
    while (end > 0 && e[end - 1] === 0) {
      if (used !== null && estimates !== null) markNearest(estimates, used, d[end]);
      sweepsSinceDeflation = 0;
      end--;
    }
    if (end === 0) break;
    let start = end - 1;
    while (start > 0 && e[start - 1] !== 0) start--;
    if (++steps > maxSteps) {
      throw new RangeError('symmetricEigen: the QR iteration did not converge; is the input finite?');
    }
    let shift = wilkinsonShift(d, e, end);
    if (used !== null && estimates !== null && sweepsSinceDeflation === 0) {
      const nearest = findNearest(estimates, used, shift);
      if (nearest >= 0) shift = estimates[nearest];
    }
    sweepsSinceDeflation++;
    qrSweep(d, e, start, end, shift, cosines, sines);
    if (vectors !== null) rotateColumns(vectors, n, start, end, cosines, sines);
  }
}

/** The eigenvalue of the trailing 2 x 2 block nearer its last diagonal entry. */
function wilkinsonShift(d: Float64Array, e: Float64Array, end: number): number {
  const half = 0.5 * (d[end - 1] - d[end]);
  const last = e[end - 1];
  const denominator = half + (half >= 0 ? 1 : -1) * Math.hypot(half, last);
  return denominator === 0 ? d[end] : d[end] - (last * last) / denominator;
}

/** Index of the unused entry of the ascending `sorted` nearest `target`, or -1 if all are used. */
function findNearest(sorted: Float64Array, used: Uint8Array, target: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] < target) low = middle + 1;
    else high = middle;
  }
  let below = low - 1;
  let above = low;
  while (below >= 0 && used[below] === 1) below--;
  while (above < sorted.length && used[above] === 1) above++;
  if (below < 0) return above < sorted.length ? above : -1;
  if (above >= sorted.length) return below;
  return target - sorted[below] <= sorted[above] - target ? below : above;
}

/** Marks the unused estimate nearest a converged eigenvalue as used. */
function markNearest(sorted: Float64Array, used: Uint8Array, value: number): void {
  const index = findNearest(sorted, used, value);
  if (index >= 0) used[index] = 1;
}

/** One implicit QR step with the given shift on the unreduced block `[start, end]`; records its rotations. */
function qrSweep(
  d: Float64Array,
  e: Float64Array,
  start: number,
  end: number,
  shift: number,
  cosines: Float64Array,
  sines: Float64Array,
): void {
  let x = d[start] - shift;
  let z = e[start];
  for (let k = start; k < end; k++) {
    // sqrt(x^2 + z^2) directly; Math.hypot (slow, but safe) only if the squares over- or underflow.
    let r = Math.sqrt(x * x + z * z);
    if (!(r > SQUARE_SAFE_MINIMUM && r < SQUARE_SAFE_MAXIMUM)) r = Math.hypot(x, z);
    const inverse = r === 0 ? 0 : 1 / r;
    const c = r === 0 ? 1 : x * inverse;
    const s = -z * inverse;
    cosines[k] = c;
    sines[k] = s;
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
  }
}
