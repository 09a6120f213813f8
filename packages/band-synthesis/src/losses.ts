import * as tf from '@tensorflow/tfjs-core';

/**
 * WGAN-GP gradient penalty `E[(||grad_x D(x_t)||_2 - 1)^2]` on interpolates `x_t = t y + (1 - t) x^`.
 *
 * @param score - The critic as a function of its input, returning scores `[batch, 1]` (or `[batch]`).
 * @param real - Real samples `[batch, height, width, channels]`; not disposed.
 * @param fake - Generated samples, same shape; not disposed.
 * @param mix - Interpolation weights `t`, `[batch, 1, 1, 1]` in [0, 1] (drawn by the caller, so runs are
 *   reproducible); not disposed.
 * @returns A scalar; the caller disposes it. Differentiable with respect to the critic's variables (the gradient
 *   with respect to the input is taken with `tf.grad`, and that is differentiated again).
 * @remarks The norm is per sample over height, width and channels (Gulrajani et al. 2017).
 * @example
 * ```ts
 * const penalty = gradientPenalty((x) => critic.apply(x) as tf.Tensor, real, fake, tf.randomUniform([4, 1, 1, 1]));
 * ```
 */
export function gradientPenalty(
  score: (input: tf.Tensor4D) => tf.Tensor,
  real: tf.Tensor4D,
  fake: tf.Tensor4D,
  mix: tf.Tensor4D,
): tf.Scalar {
  registerComparisonGradients();
  return tf.tidy(() => {
    const interpolates = tf.add(tf.mul(mix, real), tf.mul(tf.sub(1, mix), fake)) as tf.Tensor4D;
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(score(x as tf.Tensor4D)))(interpolates);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(gradient), [1, 2, 3]), 1e-12));
    return tf.mean(tf.square(tf.sub(norm, 1))) as tf.Scalar;
  });
}

/**
 * Mean squared difference of two attention maps, `E ||A - B||^2` (mean over pixels and samples).
 *
 * @param a - An attention map `[batch, height, width, 1]`; not disposed.
 * @param b - Another, same shape; not disposed.
 * @returns A scalar; the caller disposes it.
 * @remarks Used as the spatial-attention loss `||A_S(x^) - A_S(y)||^2` and the domain-adaptation loss
 *   `||A_S(y~) - A_S(y)||^2`.
 * @example
 * ```ts
 * const loss = attentionLoss(criticAttention(critic, upsampled), criticAttention(critic, reference));
 * ```
 */
export function attentionLoss(a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(a, b))) as tf.Scalar);
}

/**
 * L1 reconstruction loss `E |x^ - y|`.
 *
 * @param prediction - Synthesised band `[batch, height, width, 1]`; not disposed.
 * @param reference - Real band, same shape; not disposed.
 * @returns A scalar; the caller disposes it.
 * @example
 * ```ts
 * const loss = reconstructionLoss(prediction, reference);
 * ```
 */
export function reconstructionLoss(prediction: tf.Tensor4D, reference: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(prediction, reference))) as tf.Scalar);
}

/** Comparison ops: piecewise constant, so their gradient is zero wherever it exists. */
const COMPARISONS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'];

/**
 * Registers a zero gradient for the comparison ops that have none in tfjs-core, when none is registered.
 *
 * @remarks The first-order gradient of `leakyRelu` (and of `relu`, `maximum`, ...) builds a `greater` mask; a
 *   second-order gradient (the gradient penalty differentiated with respect to the critic's weights) walks through
 *   that mask and fails with "gradient function not found for Greater" unless it has one. A comparison is
 *   piecewise constant: zero is its gradient wherever it is defined.
 */
function registerComparisonGradients(): void {
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [a, b] = saved;
        return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
      },
    });
  }
}
