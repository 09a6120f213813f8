import * as tf from '@tensorflow/tfjs-core';
import { hostSymmetricEigen } from './internal/host-eigen.js';
import { type EigenSolver, kernelDecompose, resolveEigenSolver } from './symmetric-eigen-kernel.js';

/** How gradients flow back through {@link symmetricEigen}. */
export type EigenGradient = 'analytic' | 'stop';

/** Options for {@link symmetricEigen}. */
export interface SymmetricEigenOptions {
  /**
   * `'analytic'`: the exact backward pass of the eigendecomposition; `'stop'`: the gradient with
   * respect to the input is zero (the decomposition is treated as a constant).
   */
  readonly gradient?: EigenGradient;
  /**
   * Broadening of the eigenvalue gaps in the backward pass: the factor `1 / (l_j - l_i)` is
   * replaced by `(l_j - l_i) / ((l_j - l_i)^2 + degeneracyEpsilon^2)`, which is exact for
   * well-separated eigenvalues and goes to zero (instead of infinity) for degenerate ones.
   */
  readonly degeneracyEpsilon?: number;
  /**
   * Where the forward decomposition runs: `'host'` (float64 on the CPU, reads the input back
   * synchronously), `'kernel'` (the backend's `SiranSymmetricEigen` kernel, on the device), or `'auto'`
   * (the kernel when the active backend registers one, else the host). See {@link EigenSolver}.
   */
  readonly solver?: EigenSolver;
}

/** Defaults for {@link SymmetricEigenOptions}. */
export const DEFAULT_SYMMETRIC_EIGEN_OPTIONS: Required<SymmetricEigenOptions> = {
  gradient: 'analytic',
  degeneracyEpsilon: 1e-6,
  solver: 'auto',
};

/** Result of {@link symmetricEigen}. */
export interface SymmetricEigenResult {
  /** Eigenvalues in ascending order, `[...batch, n]`. */
  readonly eigenvalues: tf.Tensor;
  /** Unit eigenvectors as COLUMNS, `[...batch, n, n]`: `A = V diag(eigenvalues) V^T`. */
  readonly eigenvectors: tf.Tensor;
}

/**
 * Batched eigendecomposition of real symmetric matrices, eigenvalues ascending, differentiable.
 *
 * @param matrices - Symmetric matrices, `[...batch, n, n]`; only `(A + A^T) / 2` is used.
 * @param options - Gradient mode, degeneracy guard and solver, see {@link SymmetricEigenOptions}.
 * @returns Eigenvalues `[...batch, n]` and eigenvectors `[...batch, n, n]` (columns); the caller
 *   disposes both.
 * @throws TypeError if `matrices` has rank below 2.
 * @throws RangeError if the last two dimensions differ, an entry is not finite (host solver), or
 *   `solver` is `'kernel'` and the active backend has no `SiranSymmetricEigen` kernel.
 * @remarks The host solver runs in float64 (Householder tridiagonalisation and implicit QR, about
 *   `9 n^3` flops per matrix), so it works on every backend that can read data back synchronously;
 *   results are rounded to float32. The kernel solver (`SiranSymmetricEigen`, registered for webgpu by
 *   `activateBackend` of `@siran/backend`: parallel cyclic Jacobi in float32, one dispatch) never
 *   reads back, so it works where `dataSync` is impossible (webgpu in Node); its reconstruction error is
 *   about 1e-5 at `n = 361`, and it skips the finiteness check (the WebGPU kernel answers NaN or
 *   infinite input with NaN values and vectors). The backward pass is composed of tfjs-core ops:
 *   `dA = V (diag(dl) + F o (V^T dV)) V^T`, symmetrised, with `F_ij = 1 / (l_j - l_i)` broadened
 *   by `degeneracyEpsilon`. Eigenvector signs are arbitrary; losses should not depend on them.
 * @example
 * ```ts
 * const a = tf.tensor2d([[2, 1], [1, 2]]);
 * const { eigenvalues, eigenvectors } = symmetricEigen(a); // eigenvalues [1, 3]
 * ```
 */
export function symmetricEigen(
  matrices: tf.Tensor,
  options: SymmetricEigenOptions = {},
): SymmetricEigenResult {
  const { gradient, degeneracyEpsilon, solver } = { ...DEFAULT_SYMMETRIC_EIGEN_OPTIONS, ...options };
  if (matrices.rank < 2) {
    throw new TypeError(`symmetricEigen: expected matrices of rank >= 2, got rank ${matrices.rank}`);
  }
  const n = matrices.shape[matrices.rank - 1];
  if (matrices.shape[matrices.rank - 2] !== n) {
    throw new RangeError(`symmetricEigen: expected square matrices, got shape [${matrices.shape}]`);
  }
  if (!(degeneracyEpsilon >= 0)) {
    throw new RangeError(`symmetricEigen: degeneracyEpsilon must be >= 0, got ${degeneracyEpsilon}`);
  }
  const decompose =
    resolveEigenSolver(solver, 'symmetricEigen') === 'kernel' ? kernelDecompose : hostDecompose;
  const batchShape = matrices.shape.slice(0, -2);
  return tf.tidy(() => {
    const flat = tf.reshape(matrices, [-1, n, n]);
    const packed = differentiableDecompose(flat, decompose, gradient, degeneracyEpsilon);
    const eigenvalues = tf.reshape(tf.slice(packed, [0, 0, 0], [-1, 1, n]), [...batchShape, n]);
    const eigenvectors = tf.reshape(tf.slice(packed, [0, 1, 0], [-1, n, n]), [...batchShape, n, n]);
    return { eigenvalues, eigenvectors };
  });
}

/** Host decomposition; returns `[b, n + 1, n]`: row 0 the eigenvalues, rows 1..n the vectors as columns. */
function hostDecompose(flat: tf.Tensor): tf.Tensor3D {
  const [batch, n] = flat.shape;
  const data = flat.dataSync();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new RangeError(`symmetricEigen: entry ${i} of the input is ${data[i]}; expected finite values`);
    }
  }
  const packed = new Float32Array(batch * (n + 1) * n);
  for (let b = 0; b < batch; b++) {
    const { values, vectorRows } = hostSymmetricEigen(data.subarray(b * n * n, (b + 1) * n * n), n);
    const base = b * (n + 1) * n;
    packed.set(values, base);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) packed[base + (i + 1) * n + k] = vectorRows[k * n + i];
    }
  }
  return tf.tensor3d(packed, [batch, n + 1, n]);
}

/** The decomposition as a differentiable op; `'stop'` returns a zero gradient of the input's shape. */
function differentiableDecompose(
  flat: tf.Tensor,
  decompose: (flat: tf.Tensor) => tf.Tensor3D,
  gradient: EigenGradient,
  degeneracyEpsilon: number,
): tf.Tensor3D {
  const n = flat.shape[2] as number;
  const op = tf.customGrad((input, save) => {
    const packed = decompose(input as tf.Tensor);
    (save as tf.GradSaveFunc)([packed]);
    return {
      value: packed,
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) =>
        gradient === 'stop'
          ? tf.zeros([dy.shape[0], n, n])
          : eigenBackward(dy, saved[0], n, degeneracyEpsilon),
    };
  });
  return op(flat) as tf.Tensor3D;
}

/** Backward pass of the packed decomposition, composed of tfjs-core ops. */
function eigenBackward(dy: tf.Tensor, packed: tf.Tensor, n: number, degeneracyEpsilon: number): tf.Tensor {
  const values = tf.slice(packed, [0, 0, 0], [-1, 1, n]);
  const vectors = tf.slice(packed, [0, 1, 0], [-1, n, n]);
  const valuesGrad = tf.reshape(tf.slice(dy, [0, 0, 0], [-1, 1, n]), [-1, n]);
  const vectorsGrad = tf.slice(dy, [0, 1, 0], [-1, n, n]);
  const gaps = tf.sub(values, tf.transpose(values, [0, 2, 1]));
  const inverseGaps = tf.div(gaps, tf.add(tf.square(gaps), degeneracyEpsilon * degeneracyEpsilon));
  const offDiagonal = tf.where(tf.equal(gaps, 0), tf.zerosLike(gaps), inverseGaps);
  const projected = tf.matMul(vectors, vectorsGrad, true, false);
  const inner = tf.add(tf.mul(offDiagonal, projected), diagonalMatrices(valuesGrad as tf.Tensor2D));
  const full = tf.matMul(tf.matMul(vectors, inner), vectors, false, true);
  return tf.mul(tf.add(full, tf.transpose(full, [0, 2, 1])), 0.5);
}

/** `[b, n]` -> `[b, n, n]` diagonal matrices. */
function diagonalMatrices(values: tf.Tensor2D): tf.Tensor3D {
  const n = values.shape[1];
  return tf.mul(tf.expandDims(values, 1), tf.eye(n)) as tf.Tensor3D;
}
