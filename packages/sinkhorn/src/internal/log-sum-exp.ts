import * as tf from '@tensorflow/tfjs-core';

/*
 * Log-sum-exp through the backend's softmax kernel. A softmax is one fused, vectorised kernel on wasm (XNNPACK)
 * and webgpu, where a separate `exp` is not: on wasm, `exp` of a 1024 x 1024 slab takes about 7x a whole softmax.
 * Since `max_j softmax(z)_ij = exp(max_j z_ij - LSE_i)` and that largest probability is at least `1 / m`, the
 * log-sum-exp follows from it without loss of precision: `LSE_i = max_j z_ij - log(max_j softmax(z)_ij)`.
 */

/**
 * Softmax over the last axis of `z` `[B, r, c]` and its log-sum-exp.
 *
 * @param z - Exponents `[B, r, c]`, finite or `-Infinity`-like large negative values.
 * @returns `probabilities` `[B, r, c]` (each row sums to 1) and `logSumExp` `[B, r]`; the caller disposes both.
 */
export function softmaxWithLogSumExp(z: tf.Tensor3D): {
  probabilities: tf.Tensor3D;
  logSumExp: tf.Tensor2D;
} {
  return tf.tidy(() => {
    const probabilities = tf.softmax(z) as tf.Tensor3D;
    const logSumExp = tf.sub(tf.max(z, 2), tf.log(tf.max(probabilities, 2))) as tf.Tensor2D;
    return { probabilities, logSumExp };
  });
}

/**
 * `exp(rowTerm_i + z_ij)` as `softmax(z)_ij * exp(rowTerm_i + LSE_j z_ij)`: one softmax over `[B, r, c]` and an
 * `exp` over `[B, r]` only.
 *
 * @param rowTerm - Per-row exponents `[B, r]`.
 * @param z - Per-entry exponents `[B, r, c]`.
 * @returns `[B, r, c]`; the caller disposes it.
 */
export function rowShiftedExp(rowTerm: tf.Tensor2D, z: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const { probabilities, logSumExp } = softmaxWithLogSumExp(z);
    return tf.mul(probabilities, tf.expandDims(tf.exp(tf.add(rowTerm, logSumExp)), 2)) as tf.Tensor3D;
  });
}
