/**
 * The WGSL program of the WebGPU symmetric eigensolver: a parallel cyclic Jacobi iteration with one
 * workgroup per matrix and all sweeps in one dispatch, ending with the rank of every eigenvalue.
 *
 * Scratch layout per matrix (its output, `[batch, 2n + 2, n]`, row-major):
 * - rows `0 .. n-1`: the working matrix `A` (full, kept exactly symmetric);
 * - rows `n .. 2n-1`: `W = V^T`, the eigenvectors as ROWS while iterating (contiguous updates);
 * - row `2n`: the round's `tau = s / (1 + c)` (when not cached in workgroup memory), at the end the
 *   ascending order (source index of each target position);
 * - row `2n + 1`: the round's sines (when not cached).
 */

import { jacobiRoundFunctions, MAX_CACHED_PAIRS } from './jacobi-round-wgsl.js';
import type { WebGpuProgram } from './webgpu-program.js';

/** Sweeps after which the iteration stops even if the off-diagonal norm is still above tolerance. */
export const JACOBI_MAX_SWEEPS = 20;

/**
 * Relative tolerance: the iteration stops once `||offdiag(A)||_F <= tolerance * ||A||_F`, or once a
 * sweep no longer halves the off-diagonal norm after it has fallen below {@link JACOBI_NOISE_FLOOR}
 * (float32 rounding then dominates and further sweeps only add work).
 */
export const JACOBI_TOLERANCE = 1e-7;

/** Relative off-diagonal norm below which a stalled sweep ends the iteration. */
export const JACOBI_NOISE_FLOOR = 1e-4;

/** Invocations per workgroup: a power of two between 32 and 256, about the matrix order. */
function workgroupSizeFor(n: number): number {
  let size = 32;
  while (size < n && size < 256) size *= 2;
  return size;
}

/** Runs the Jacobi sweeps; output is the scratch buffer described in the module comment. */
export class JacobiEigenProgram implements WebGpuProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0], y: [1], z: [2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  private readonly order: number;
  private readonly cacheRotations: boolean;

  /**
   * @param batch - Number of matrices (one workgroup each).
   * @param order - The matrix order `n`.
   * @param cacheRotations - Keep each round's rotations in workgroup memory (default: when they fit).
   */
  constructor(batch: number, order: number, cacheRotations = Math.ceil(order / 2) <= MAX_CACHED_PAIRS) {
    this.order = order;
    this.cacheRotations = cacheRotations;
    this.outputShape = [batch, 2 * order + 2, order];
    this.dispatch = [batch, 1, 1];
    this.workgroupSize = [workgroupSizeFor(order), 1, 1];
    this.shaderKey = `siranJacobiEigen_${order}_${this.workgroupSize[0]}_${cacheRotations ? 'cached' : 'storage'}`;
  }

  getUserCode(): string {
    const n = this.order;
    const m = n + (n % 2);
    return /* wgsl */ `
const N : i32 = ${n};
const M : i32 = ${m};
const P : i32 = ${m / 2};
const WG : i32 = ${this.workgroupSize[0]};
const MAX_SWEEPS : i32 = ${JACOBI_MAX_SWEEPS};
const TOLERANCE : f32 = ${JACOBI_TOLERANCE};
const NOISE_FLOOR : f32 = ${JACOBI_NOISE_FLOOR};

var<workgroup> partial : array<f32, ${this.workgroupSize[0]}>;
var<workgroup> stopFlag : i32;
var<workgroup> invalidFlag : i32;
var<workgroup> scaleFactor : f32;
var<workgroup> normSquared : f32;
var<workgroup> previousOff : f32;

fn aIndex(base : i32, i : i32, j : i32) -> i32 { return base + i * N + j; }
fn wIndex(base : i32, i : i32, j : i32) -> i32 { return base + (N + i) * N + j; }
fn tauIndex(base : i32, k : i32) -> i32 { return base + 2 * N * N + k; }
fn sIndex(base : i32, k : i32) -> i32 { return base + (2 * N + 1) * N + k; }

${jacobiRoundFunctions(m / 2, this.cacheRotations)}

// Sum (or maximum) of partial[] over the workgroup, left in partial[0].
fn reducePartial(tid : i32, maximum : bool) {
  for (var stride = WG / 2; stride > 0; stride = stride / 2) {
    workgroupBarrier();
    if (tid < stride) {
      let a = partial[tid];
      let b = partial[tid + stride];
      partial[tid] = select(a + b, max(a, b), maximum);
    }
  }
  workgroupBarrier();
}

fn main() {
  let tid = i32(localIndex);
  let batch = i32(workgroupId.x);
  let base = batch * (2 * N + 2) * N;
  let inputBase = batch * uniforms.xShapeStrides.x;

  // The largest |entry| and a count of non-finite entries (tested on the bits: shader compilers may
  // assume float arithmetic never produces NaN or infinity).
  var largest = 0.0;
  var nonFinite = 0.0;
  for (var w = tid; w < N * N; w = w + WG) {
    let entry = x[inputBase + w];
    if ((bitcast<u32>(entry) & 0x7f800000u) == 0x7f800000u) {
      nonFinite = nonFinite + 1.0;
    } else {
      largest = max(largest, abs(entry));
    }
  }
  partial[tid] = nonFinite;
  reducePartial(tid, false);
  if (tid == 0) { invalidFlag = select(0, 1, partial[0] > 0.0); }
  let invalid = workgroupUniformLoad(&invalidFlag);
  partial[tid] = largest;
  reducePartial(tid, true);
  if (tid == 0) { scaleFactor = partial[0]; }
  let scale = workgroupUniformLoad(&scaleFactor);
  let inverse = select(1.0, 1.0 / scale, scale > 0.0);

  // A = (X + X^T) / (2 scale), so that squares neither overflow nor underflow; W = I; ||A||_F^2.
  var sumSquares = 0.0;
  for (var w = tid; w < N * N; w = w + WG) {
    let i = w / N;
    let j = w - i * N;
    let value = 0.5 * (x[inputBase + w] * inverse + x[inputBase + j * N + i] * inverse);
    result[aIndex(base, i, j)] = value;
    result[wIndex(base, i, j)] = select(0.0, 1.0, i == j);
    sumSquares = sumSquares + value * value;
  }
  partial[tid] = sumSquares;
  reducePartial(tid, false);
  if (tid == 0) {
    normSquared = partial[0];
    previousOff = sqrt(partial[0]);
    stopFlag = 0;
  }
  storageBarrier();
  workgroupBarrier();

  let sweeps = select(MAX_SWEEPS, 0, invalid != 0);
  for (var sweep = 0; sweep < sweeps; sweep = sweep + 1) {
    for (var r = 0; r < M - 1; r = r + 1) {
      for (var k = tid; k < P; k = k + WG) { rotationParameters(base, r, k); }
      storageBarrier();
      workgroupBarrier();
      for (var w = tid; w < P * (P - 1) / 2; w = w + WG) {
        let block = blockOf(w);
        rotateBlock(base, r, block.x, block.y);
      }
      for (var w = tid; w < P * N; w = w + WG) {
        let l = w / N;
        let i = w - l * N;
        let s = loadS(base, l);
        if (s != 0.0) {
          let pq = loadPair(r, l);
          let tau = loadTau(base, l);
          let wp = result[wIndex(base, pq.x, i)];
          let wq = result[wIndex(base, pq.y, i)];
          result[wIndex(base, pq.x, i)] = wp - s * (wq + tau * wp);
          result[wIndex(base, pq.y, i)] = wq + s * (wp - tau * wq);
        }
      }
      storageBarrier();
      workgroupBarrier();
    }
    var offSquares = 0.0;
    for (var w = tid; w < N * N; w = w + WG) {
      let i = w / N;
      let j = w - i * N;
      if (i != j) {
        let value = result[aIndex(base, i, j)];
        offSquares = offSquares + value * value;
      }
    }
    partial[tid] = offSquares;
    reducePartial(tid, false);
    if (tid == 0) {
      let off = sqrt(partial[0]);
      let norm = sqrt(normSquared);
      let converged = !(off > TOLERANCE * norm);
      let stalled = off < NOISE_FLOOR * norm && off > 0.5 * previousOff;
      if (converged || stalled) { stopFlag = 1; }
      previousOff = off;
    }
    if (workgroupUniformLoad(&stopFlag) != 0) { break; }
  }

  // Eigenvalues back to the input's scale.
  if (scale > 0.0) {
    for (var i = tid; i < N; i = i + WG) { result[aIndex(base, i, i)] = result[aIndex(base, i, i)] * scale; }
  }

  // Non-finite input: every eigenvalue and eigenvector entry becomes NaN.
  if (invalid != 0) {
    for (var w = tid; w < N * N; w = w + WG) {
      let i = w / N;
      result[wIndex(base, i, w - i * N)] = uniforms.NAN;
      if (w - i * N == i) { result[aIndex(base, i, i)] = uniforms.NAN; }
    }
  }

  // Ascending order: the target position of eigenvalue i is its rank (ties broken by index).
  storageBarrier();
  workgroupBarrier();
  for (var i = tid; i < N; i = i + WG) { result[tauIndex(base, i)] = f32(i); }
  storageBarrier();
  workgroupBarrier();
  for (var i = tid; i < N; i = i + WG) {
    let value = result[aIndex(base, i, i)];
    var rank = 0;
    for (var j = 0; j < N; j = j + 1) {
      let other = result[aIndex(base, j, j)];
      if (other < value || (other == value && j < i)) { rank = rank + 1; }
    }
    result[tauIndex(base, rank)] = f32(i);
  }
}
`;
  }
}
