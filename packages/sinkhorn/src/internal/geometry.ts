import type * as tf from '@tensorflow/tfjs-core';

/**
 * The cost side of an entropic transport problem between rows (`n` points, weights `a`) and columns
 * (`m` points, weights `b`), for a batch of independent problems.
 *
 * Every method returns a new tensor owned by the caller. `h` arguments are log-domain column (or row)
 * scalings, e.g. `h_j = log b_j + g_j / epsilon`; the softmin is `-epsilon` times the log-sum-exp.
 */
export interface TransportGeometry {
  readonly batchSize: number;
  readonly rowCount: number;
  readonly columnCount: number;
  /** `LSE_j(h_j - C_ij / epsilon)`, `h` `[B, m]` to `[B, n]`; differentiable. */
  logSumExpRows(h: tf.Tensor2D, epsilon: number): tf.Tensor2D;
  /** `LSE_i(h_i - C_ij / epsilon)`, `h` `[B, n]` to `[B, m]`; differentiable. */
  logSumExpColumns(h: tf.Tensor2D, epsilon: number): tf.Tensor2D;
  /**
   * Optional fused form of a whole update on scaled potentials (one recorded operation instead of up to four):
   * `L = LSE(logWeights - potential - C / epsilon)` along rows (`axis` 2, `[B, m]` to `[B, n]`) or columns
   * (`axis` 1), and `(potential + L) / 2` when `average` (then `potential` must have the result's shape).
   */
  sinkhornUpdate?(
    logWeights: tf.Tensor2D,
    potential: tf.Tensor2D,
    epsilon: number,
    axis: 1 | 2,
    average: boolean,
  ): tf.Tensor2D;
  /**
   * `<a, f> + <b, g>` with the envelope-theorem gradient: `P` for the cost, `f` and `g` for the weights,
   * nothing for the potentials. `[B]`.
   */
  envelopeValue(a: tf.Tensor2D, b: tf.Tensor2D, f: tf.Tensor2D, g: tf.Tensor2D, epsilon: number): tf.Tensor1D;
  /** `<P, C>` with `P_ij = exp(logA_i + logB_j + (f_i + g_j - C_ij) / epsilon)`, `[B]`; differentiable. */
  sharpValue(
    logA: tf.Tensor2D,
    logB: tf.Tensor2D,
    f: tf.Tensor2D,
    g: tf.Tensor2D,
    epsilon: number,
  ): tf.Tensor1D;
  /** The plan `P`, `[B, n, m]`, materialised. */
  plan(logA: tf.Tensor2D, logB: tf.Tensor2D, f: tf.Tensor2D, g: tf.Tensor2D, epsilon: number): tf.Tensor3D;
  /** `[mean, max]` of the cost over the batch: mean of the `a (x) b`-weighted means, and the overall max. No gradient. */
  statistics(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D;
}
