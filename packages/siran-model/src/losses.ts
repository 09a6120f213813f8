import { pixelLoss, ssimLoss } from '@siran/metrics';
import { sinkhornDivergence } from '@siran/sinkhorn';
import * as tf from '@tensorflow/tfjs-core';
import { isAblated, type SiranConfig } from './config.js';
import { attentionMaps, combinedAttention } from './discriminator.js';

/** The generator objective and its terms (scalars; the caller disposes them). */
export interface GeneratorLossTerms {
  /** `lambda_P L_P + lambda_SSIM L_SSIM + lambda_ADV L_ADV + lambda_OT L_OT`. */
  readonly total: tf.Scalar;
  /** `L_P`, mean squared error of normalised elevations. */
  readonly pixel: tf.Scalar;
  /** `L_SSIM = -log SSIM`. */
  readonly ssim: tf.Scalar;
  /** `L_ADV = -log D(prediction)`; zero when ablated. */
  readonly adversarial: tf.Scalar;
  /** `L_OT`, Sinkhorn divergence between the batch of predictions and the batch of references; zero when ablated. */
  readonly sinkhorn: tf.Scalar;
}

/** The discriminator objective and its terms. */
export interface DiscriminatorLossTerms {
  /** `-log D(y) - log(1 - D(prediction)) + lambda_DA L_DA`. */
  readonly total: tf.Scalar;
  /** The binary cross-entropy part. */
  readonly adversarial: tf.Scalar;
  /** `L_DA = || D_SA(coarse) - D_SA(reference) ||^2`, mean over pixels. */
  readonly domainAdaptation: tf.Scalar;
}

/**
 * The SiRAN generator objective on normalised elevations.
 *
 * @param prediction - `G(...)`, `[batch, height, width, 1]`.
 * @param reference - Reference DEM, same shape.
 * @param fakeLogits - Discriminator logits for `prediction`, `[batch, 1]`.
 * @param config - Loss weights, Sinkhorn settings and ablations.
 * @param dataRange - Data range for SSIM, in normalised units (e.g. the reference batch's relief).
 * @returns The total and each term.
 * @remarks Sinkhorn: each sample is a point of dimension `height * width`; the cost is the per-pixel mean
 *   squared difference (`costNormalization: 'dimension'`), so `epsilon` is relative to it. `L_ADV` is written with
 *   logits, `softplus(-logit)`, which equals `-log sigmoid(logit)` without overflow.
 */
export function generatorLoss(
  prediction: tf.Tensor4D,
  reference: tf.Tensor4D,
  fakeLogits: tf.Tensor,
  config: SiranConfig,
  dataRange: number,
): GeneratorLossTerms {
  return tf.tidy(() => {
    const weights = config.lossWeights;
    const pixel = pixelLoss(prediction, reference);
    const ssim = ssimLoss(prediction, reference, { dataRange });
    const adversarial = isAblated(config, 'no-adv')
      ? tf.scalar(0)
      : (tf.mean(tf.softplus(tf.neg(fakeLogits))) as tf.Scalar);
    let sinkhorn: tf.Scalar = tf.scalar(0);
    if (!isAblated(config, 'no-ot') && weights.sinkhorn > 0) {
      const [batch] = prediction.shape;
      sinkhorn = sinkhornDivergence(tf.reshape(prediction, [batch, -1]), tf.reshape(reference, [batch, -1]), {
        epsilon: config.sinkhornEpsilon,
        iterations: config.sinkhornIterations,
        costNormalization: 'dimension',
        // epsilon is absolute on that per-pixel cost, as in the papers (not scaled by the mean cost).
        relativeEpsilon: false,
        // Non-finite values make the loss non-finite, and the training step refuses the update.
        validateInputs: false,
      }) as tf.Scalar;
    }
    const total = tf.addN([
      tf.mul(weights.pixel, pixel),
      tf.mul(weights.ssim, ssim),
      tf.mul(isAblated(config, 'no-adv') ? 0 : weights.adversarial, adversarial),
      tf.mul(weights.sinkhorn, sinkhorn),
    ]) as tf.Scalar;
    return { total, pixel, ssim, adversarial, sinkhorn };
  });
}

/**
 * The SiRAN discriminator objective.
 *
 * @param realLogits - Logits for reference DEMs, `[batch, 1]`.
 * @param fakeLogits - Logits for generated DEMs, `[batch, 1]`.
 * @param coarseActivations - Discriminator activations for the coarse input (one per DMRB).
 * @param referenceActivations - Discriminator activations for the reference.
 * @param config - `lossWeights.domainAdaptation`.
 * @returns The total and each term.
 */
export function discriminatorLoss(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  coarseActivations: readonly tf.Tensor4D[],
  referenceActivations: readonly tf.Tensor4D[],
  config: SiranConfig,
): DiscriminatorLossTerms {
  return tf.tidy(() => {
    const adversarial = tf.add(
      tf.mean(tf.softplus(tf.neg(realLogits))),
      tf.mean(tf.softplus(fakeLogits)),
    ) as tf.Scalar;
    const coarseMap = combinedAttention(attentionMaps(coarseActivations));
    const referenceMap = combinedAttention(attentionMaps(referenceActivations));
    const domainAdaptation = tf.mean(tf.squaredDifference(coarseMap, referenceMap)) as tf.Scalar;
    const total = tf.add(
      adversarial,
      tf.mul(config.lossWeights.domainAdaptation, domainAdaptation),
    ) as tf.Scalar;
    return { total, adversarial, domainAdaptation };
  });
}
