import * as tf from '@tensorflow/tfjs-core';

/**
 * High-pass graph Fourier filter: keeps the graph frequencies `cutoff .. n-1` of a signal.
 *
 * Computes `X_bar = P_bar P_bar^T X` with `P_bar = P[:, cutoff:]`, the eigenvectors of the
 * `n - cutoff` largest Laplacian eigenvalues, as two thin products (`2 n (n - cutoff) f` multiply-adds
 * per graph) rather than a full transform and mask.
 *
 * @param signal - Node signals `[batch, n, features]`.
 * @param eigenvectors - Laplacian eigenvectors as columns, eigenvalues ascending, `[batch, n, n]`
 *   (as returned by `symmetricEigen`).
 * @param cutoff - Number of low frequencies removed, an integer in `[0, n]`; `0` is the identity.
 * @returns `[batch, n, features]`; the caller disposes it.
 * @throws TypeError if the ranks are not 3.
 * @throws RangeError if the shapes disagree or `cutoff` is out of range.
 * @example
 * ```ts
 * const { eigenvectors } = symmetricEigen(normalizedLaplacian(adjacency));
 * const highPass = graphFourierFilter(signal, eigenvectors, 3);
 * ```
 */
export function graphFourierFilter(signal: tf.Tensor, eigenvectors: tf.Tensor, cutoff: number): tf.Tensor3D {
  if (signal.rank !== 3 || eigenvectors.rank !== 3) {
    throw new TypeError(
      `graphFourierFilter: expected signal [batch, n, features] and eigenvectors [batch, n, n], got [${signal.shape}] and [${eigenvectors.shape}]`,
    );
  }
  const [batch, n] = signal.shape;
  const [vectorBatch, rows, columns] = eigenvectors.shape;
  if (rows !== n || columns !== n || (vectorBatch !== batch && vectorBatch !== 1)) {
    throw new RangeError(
      `graphFourierFilter: eigenvectors [${eigenvectors.shape}] do not match signal [${signal.shape}]; expected [${batch}, ${n}, ${n}]`,
    );
  }
  if (!Number.isInteger(cutoff) || cutoff < 0 || cutoff > n) {
    throw new RangeError(`graphFourierFilter: cutoff must be an integer in [0, ${n}], got ${cutoff}`);
  }
  return tf.tidy(() => {
    if (cutoff === n) return tf.zerosLike(signal) as tf.Tensor3D;
    let basis = tf.slice(eigenvectors, [0, 0, cutoff], [-1, -1, n - cutoff]) as tf.Tensor3D;
    if (vectorBatch !== batch) basis = tf.tile(basis, [batch, 1, 1]);
    const coefficients = tf.matMul(basis, signal as tf.Tensor3D, true, false);
    return tf.matMul(basis, coefficients);
  });
}
