import * as tf from '@tensorflow/tfjs-core';

/**
 * Hinge loss of the discriminator, averaged over scales: `mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))`.
 *
 * @param realLogits - Per scale, the patch logits on real images.
 * @param fakeLogits - Per scale, the patch logits on synthesised images.
 * @returns A scalar; the caller disposes it.
 * @throws RangeError if the lists are empty or of different lengths.
 */
export function hingeDiscriminatorLoss(
  realLogits: readonly tf.Tensor[],
  fakeLogits: readonly tf.Tensor[],
): tf.Scalar {
  if (realLogits.length === 0 || realLogits.length !== fakeLogits.length)
    throw new RangeError(
      `hingeDiscriminatorLoss: expected as many real as fake scales (at least one), got ${realLogits.length} and ${fakeLogits.length}`,
    );
  return tf.tidy(() => {
    const terms = realLogits.map((real, scale) =>
      tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fakeLogits[scale])))),
    );
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}

/**
 * Hinge loss of the generator, averaged over scales: `-mean(D(fake))`.
 *
 * @param fakeLogits - Per scale, the patch logits on synthesised images.
 * @returns A scalar; the caller disposes it.
 * @throws RangeError if the list is empty.
 */
export function hingeGeneratorLoss(fakeLogits: readonly tf.Tensor[]): tf.Scalar {
  if (fakeLogits.length === 0) throw new RangeError('hingeGeneratorLoss: expected at least one scale');
  return tf.tidy(
    () =>
      tf.neg(tf.div(tf.addN(fakeLogits.map((logits) => tf.mean(logits))), fakeLogits.length)) as tf.Scalar,
  );
}

/**
 * Feature-matching loss (pix2pixHD): per scale, the mean over the discriminator's intermediate features of the
 * mean absolute difference between real and fake features; summed over layers, averaged over scales.
 *
 * @param realFeatures - Per scale, the intermediate features on real images (compute them outside the
 *   gradient of the generator's variables, or differentiate only with respect to those).
 * @param fakeFeatures - Per scale, the same features on synthesised images.
 * @returns A scalar, `(1 / scales) * sum_s sum_l mean|real_sl - fake_sl|`; the caller disposes it.
 * @throws RangeError if the scales or layer counts differ.
 */
export function featureMatchingLoss(
  realFeatures: readonly (readonly tf.Tensor[])[],
  fakeFeatures: readonly (readonly tf.Tensor[])[],
): tf.Scalar {
  if (realFeatures.length === 0 || realFeatures.length !== fakeFeatures.length)
    throw new RangeError(
      `featureMatchingLoss: expected as many real as fake scales (at least one), got ${realFeatures.length} and ${fakeFeatures.length}`,
    );
  return tf.tidy(() => {
    const terms = realFeatures.flatMap((layers, scale) => {
      if (layers.length !== fakeFeatures[scale].length)
        throw new RangeError(
          `featureMatchingLoss: scale ${scale} has ${layers.length} real and ${fakeFeatures[scale].length} fake layers`,
        );
      return layers.map((real, layer) => tf.mean(tf.abs(tf.sub(real, fakeFeatures[scale][layer]))));
    });
    return tf.div(tf.addN(terms), realFeatures.length) as tf.Scalar;
  });
}
