import * as tf from '@tensorflow/tfjs-core';
import { swapLastAxes } from './internal/tensor-utils.js';

/** How raw pairwise similarities become a symmetric, non-negative adjacency. */
export type AdjacencyActivation = 'exponential' | 'softplus';

/**
 * Makes a symmetric, non-negative adjacency from raw similarities `S` (e.g. `<f1(v_i), f2(v_j)>`).
 *
 * @param similarity - `[...batch, n, n]`, any real values.
 * @param activation - `'exponential'`: `A = exp(S_sym - max(S_sym))` (a symmetric softmax kernel;
 *   the max shift changes no normalised Laplacian because `D^-1/2 A D^-1/2` is scale invariant);
 *   `'softplus'`: `A = log(1 + exp(S_sym))`. `S_sym = (S + S^T) / 2`.
 * @returns `[...batch, n, n]`, symmetric with positive entries; the caller disposes it.
 * @throws TypeError if `similarity` has rank below 2.
 * @throws RangeError if the last two dimensions differ.
 * @example
 * ```ts
 * const a = symmetricAdjacency(tf.tensor2d([[0, 1], [3, 0]])); // symmetric, entries in (0, 1]
 * ```
 */
export function symmetricAdjacency(
  similarity: tf.Tensor,
  activation: AdjacencyActivation = 'exponential',
): tf.Tensor {
  checkSquare(similarity, 'symmetricAdjacency');
  return tf.tidy(() => {
    const symmetric = tf.mul(tf.add(similarity, swapLastAxes(similarity)), 0.5);
    if (activation === 'softplus') return tf.softplus(symmetric);
    const peak = tf.max(symmetric, [-2, -1], true);
    return tf.exp(tf.sub(symmetric, peak));
  });
}

/** Options for {@link normalizedLaplacian}. */
export interface NormalizedLaplacianOptions {
  /** Read the adjacency back and throw on NaN or infinite entries (one host synchronisation). */
  readonly checkFinite?: boolean;
  /** Degrees below this are treated as this value (isolated nodes get `L_ii = 1`). */
  readonly minimumDegree?: number;
}

/** Defaults for {@link NormalizedLaplacianOptions}. */
export const DEFAULT_NORMALIZED_LAPLACIAN_OPTIONS: Required<NormalizedLaplacianOptions> = {
  checkFinite: true,
  minimumDegree: 1e-12,
};

/**
 * Symmetric normalised graph Laplacian `L = I - D^-1/2 A D^-1/2`, `D_ii = sum_j A_ij`.
 *
 * @param adjacency - Symmetric, non-negative `[...batch, n, n]`.
 * @param options - Finite check and degree floor, see {@link NormalizedLaplacianOptions}.
 * @returns `[...batch, n, n]` with eigenvalues in `[0, 2]`; the caller disposes it.
 * @throws TypeError if `adjacency` has rank below 2.
 * @throws RangeError if it is not square, or (with `checkFinite`) has a non-finite entry.
 * @example
 * ```ts
 * const laplacian = normalizedLaplacian(tf.tensor2d([[0, 1], [1, 0]])); // [[1, -1], [-1, 1]]
 * ```
 */
export function normalizedLaplacian(
  adjacency: tf.Tensor,
  options: NormalizedLaplacianOptions = {},
): tf.Tensor {
  const { checkFinite, minimumDegree } = { ...DEFAULT_NORMALIZED_LAPLACIAN_OPTIONS, ...options };
  checkSquare(adjacency, 'normalizedLaplacian');
  if (checkFinite) {
    const finite = tf.tidy(() => tf.all(tf.isFinite(adjacency)).dataSync()[0]);
    if (!finite) {
      throw new RangeError(
        'normalizedLaplacian: the adjacency has NaN or infinite entries; expected finite values',
      );
    }
  }
  const n = adjacency.shape[adjacency.rank - 1];
  return tf.tidy(() => {
    const degree = tf.maximum(tf.sum(adjacency, -1), minimumDegree);
    const inverseRoot = tf.rsqrt(degree);
    const scaled = tf.mul(tf.mul(adjacency, tf.expandDims(inverseRoot, -1)), tf.expandDims(inverseRoot, -2));
    return tf.sub(tf.eye(n), scaled);
  });
}

function checkSquare(matrices: tf.Tensor, caller: string): void {
  if (matrices.rank < 2) {
    throw new TypeError(`${caller}: expected [...batch, n, n], got rank ${matrices.rank}`);
  }
  const n = matrices.shape[matrices.rank - 1];
  if (matrices.shape[matrices.rank - 2] !== n) {
    throw new RangeError(`${caller}: expected square matrices, got shape [${matrices.shape}]`);
  }
}
