import * as tf from '@tensorflow/tfjs-core';
import { withoutGradient } from './no-gradient.js';

/** Log-weight used for a point of zero mass: finite, and far below any `-C / epsilon` met in float32. */
export const LOG_ZERO_WEIGHT = -1e30;

/**
 * `log(w)` where `w > 0` and {@link LOG_ZERO_WEIGHT} where `w == 0`, with a finite gradient everywhere.
 *
 * @param weights - Non-negative weights `[B, n]`.
 * @returns The log-weights `[B, n]`; the caller disposes them.
 */
export function logWeights(weights: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const positive = withoutGradient([weights], () => tf.greater(weights, 0));
    const safe = tf.where(positive, weights, tf.onesLike(weights));
    return tf.where(positive, tf.log(safe), tf.fill(weights.shape, LOG_ZERO_WEIGHT)) as tf.Tensor2D;
  });
}
