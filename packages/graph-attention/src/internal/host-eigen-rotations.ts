/**
 * Application of one QR sweep's chain of Givens rotations to the columns of a row-major matrix.
 *
 * Rotation `k` of a sweep acts on columns `(k, k+1)` and the next one on `(k+1, k+2)`, so along one row
 * the chain is a single pass: the running entry stays in a register and every entry is loaded and
 * stored once. Eight rows are interleaved so that their chains of dependent multiply-adds overlap and
 * each rotation's cosine and sine are loaded once per eight rows; this runs near the floating-point
 * throughput of the machine (six flops per entry and rotation).
 */

/**
 * Applies rotations `k = start..end-1` in order to columns `(k, k+1)` of every row of `vectors`:
 * `(u, w) -> (c u - s w, s u + c w)` with `c = cosines[k]`, `s = sines[k]`.
 *
 * @param vectors - Row-major `n x n`, updated in place.
 * @param n - The order.
 * @param start - First rotated column.
 * @param end - Last rotated column (`end - start` rotations).
 * @param cosines - Rotation cosines, indexed by `k`.
 * @param sines - Rotation sines, indexed by `k`.
 */
export function rotateColumns(
  vectors: Float64Array,
  n: number,
  start: number,
  end: number,
  cosines: Float64Array,
  sines: Float64Array,
): void {
  let row = 0;
  for (; row + 7 < n; row += 8) {
    const b0 = row * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    const b4 = b3 + n;
    const b5 = b4 + n;
    const b6 = b5 + n;
    const b7 = b6 + n;
    let x0 = vectors[b0 + start];
    let x1 = vectors[b1 + start];
    let x2 = vectors[b2 + start];
    let x3 = vectors[b3 + start];
    let x4 = vectors[b4 + start];
    let x5 = vectors[b5 + start];
    let x6 = vectors[b6 + start];
    let x7 = vectors[b7 + start];
    for (let k = start; k < end; k++) {
      const c = cosines[k];
      const s = sines[k];
      const w0 = vectors[b0 + k + 1];
      const w1 = vectors[b1 + k + 1];
      const w2 = vectors[b2 + k + 1];
      const w3 = vectors[b3 + k + 1];
      vectors[b0 + k] = c * x0 - s * w0;
      vectors[b1 + k] = c * x1 - s * w1;
      vectors[b2 + k] = c * x2 - s * w2;
      vectors[b3 + k] = c * x3 - s * w3;
      x0 = s * x0 + c * w0;
      x1 = s * x1 + c * w1;
      x2 = s * x2 + c * w2;
      x3 = s * x3 + c * w3;
      const w4 = vectors[b4 + k + 1];
      const w5 = vectors[b5 + k + 1];
      const w6 = vectors[b6 + k + 1];
      const w7 = vectors[b7 + k + 1];
      vectors[b4 + k] = c * x4 - s * w4;
      vectors[b5 + k] = c * x5 - s * w5;
      vectors[b6 + k] = c * x6 - s * w6;
      vectors[b7 + k] = c * x7 - s * w7;
      x4 = s * x4 + c * w4;
      x5 = s * x5 + c * w5;
      x6 = s * x6 + c * w6;
      x7 = s * x7 + c * w7;
    }
    vectors[b0 + end] = x0;
    vectors[b1 + end] = x1;
    vectors[b2 + end] = x2;
    vectors[b3 + end] = x3;
    vectors[b4 + end] = x4;
    vectors[b5 + end] = x5;
    vectors[b6 + end] = x6;
    vectors[b7 + end] = x7;
  }
  for (; row + 1 < n; row += 2) {
    const b0 = row * n;
    const b1 = b0 + n;
    let x0 = vectors[b0 + start];
    let x1 = vectors[b1 + start];
    for (let k = start; k < end; k++) {
      const c = cosines[k];
      const s = sines[k];
      const w0 = vectors[b0 + k + 1];
      const w1 = vectors[b1 + k + 1];
      vectors[b0 + k] = c * x0 - s * w0;
      vectors[b1 + k] = c * x1 - s * w1;
      x0 = s * x0 + c * w0;
      x1 = s * x1 + c * w1;
    }
    vectors[b0 + end] = x0;
    vectors[b1 + end] = x1;
  }
  if (row < n) {
    const base = row * n;
    let x = vectors[base + start];
    for (let k = start; k < end; k++) {
      const c = cosines[k];
      const s = sines[k];
      const w = vectors[base + k + 1];
      vectors[base + k] = c * x - s * w;
      x = s * x + c * w;
    }
    vectors[base + end] = x;
  }
}
