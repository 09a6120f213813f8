import * as tf from '@tensorflow/tfjs-core';

/**
 * Discriminator spatial attention maps: for each activation `a_i`, `N(sum_j |a_ij|)`, where `N` rescales each
 * sample's map to [0, 1].
 *
 * @param activations - The `k` activations `[batch, height, width, channels]` after a discriminator's blocks.
 * @returns The maps stacked on channels, `[batch, height, width, k]`, values in [0, 1]; the caller disposes it.
 * @example
 * ```ts
 * const maps = attentionMaps([a1, a2, a3]); // [batch, height, width, 3]
 * ```
 */
export function attentionMaps(activations: readonly tf.Tensor4D[]): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.concat(
        activations.map((a) => normalizePerSample(tf.sum(tf.abs(a), 3, true) as tf.Tensor4D)),
        3,
      ) as tf.Tensor4D,
  );
}

/**
 * The combined attention `D_SA = N(sum_i maps_i)` (S2A's formulation), `[batch, height, width, 1]` in [0, 1].
 *
 * @param maps - Output of {@link attentionMaps}.
 * @returns The combined map; the caller disposes it.
 * @example
 * ```ts
 * const attention = combinedAttention(attentionMaps(activations));
 * ```
 */
export function combinedAttention(maps: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => normalizePerSample(tf.sum(maps, 3, true) as tf.Tensor4D));
}

/**
 * Rescales every sample of `[batch, height, width, channels]` to [0, 1] by its own minimum and maximum.
 *
 * @param x - The maps.
 * @returns `(x - min) / (max - min + 1e-6)` per sample; the caller disposes it.
 * @example
 * ```ts
 * normalizePerSample(tf.tensor4d([1, 3], [1, 1, 2, 1])); // [0, ~1]
 * ```
 */
export function normalizePerSample(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const minimum = tf.min(x, [1, 2, 3], true);
    const maximum = tf.max(x, [1, 2, 3], true);
    return tf.div(tf.sub(x, minimum), tf.add(tf.sub(maximum, minimum), 1e-6)) as tf.Tensor4D;
  });
}
