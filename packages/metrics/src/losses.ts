import * as tf from '@tensorflow/tfjs-core';
import { gaussianWeights } from './internal/gaussian-kernel.js';
import { foldChannels, gaussianFilterValid } from './internal/tensor-filters.js';
import { DEFAULT_SSIM_OPTIONS } from './ssim.js';

function checkPair(prediction: tf.Tensor4D, target: tf.Tensor4D, functionName: string): void {
  if (prediction.rank !== 4 || target.rank !== 4) {
    throw new RangeError(
      `${functionName}: expected rank-4 [batch, height, width, channels] tensors, got ranks ${prediction.rank} and ${target.rank}`,
    );
  }
  if (!tf.util.arraysEqual(prediction.shape, target.shape)) {
    throw new RangeError(
      `${functionName}: prediction shape [${prediction.shape}] differs from target shape [${target.shape}]`,
    );
  }
}

/**
 * Pixel loss: the mean squared error over every element.
 *
 * @param prediction - Predicted images, `[batch, height, width, channels]`.
 * @param target - Target images, same shape.
 * @returns A scalar tensor; the caller disposes it.
 * @throws RangeError if the shapes differ or the tensors are not rank 4.
 * @example
 * ```ts
 * const loss = pixelLoss(predicted, target); // L_P of the SiRAN objective
 * ```
 */
export function pixelLoss(prediction: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  checkPair(prediction, target, 'pixelLoss');
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)) as tf.Scalar);
}

/** Options for {@link ssimLoss} and {@link ssimPerSample}. */
export interface SsimLossOptions {
  /** Data range of the (normalised) inputs; `C1 = (k1 R)^2`, `C2 = (k2 R)^2`. */
  readonly dataRange?: number;
  /** Gaussian window sigma in pixels (window `2 floor(3.5 sigma + 0.5) + 1`). */
  readonly gaussianSigma?: number;
  /** SSIM constants. */
  readonly k1?: number;
  readonly k2?: number;
  /** Lower clamp of SSIM before the logarithm, so `-log` stays finite when SSIM <= 0. */
  readonly epsilon?: number;
}

/** Defaults of {@link SsimLossOptions}: inputs normalised to a unit range. */
export const DEFAULT_SSIM_LOSS_OPTIONS = { ...DEFAULT_SSIM_OPTIONS, dataRange: 1, epsilon: 1e-6 } as const;

/**
 * Differentiable mean SSIM of each sample (averaged over channels and the valid window positions).
 *
 * @param prediction - Predicted images, `[batch, height, width, channels]`.
 * @param target - Target images, same shape.
 * @param options - Data range, window sigma, `k1`, `k2`.
 * @returns A `[batch]` tensor; the caller disposes it.
 * @throws RangeError if the shapes differ or the images are smaller than the window.
 * @remarks Equal to {@link ssim} (scikit-image's `structural_similarity`) of each channel, averaged over
 *   channels: valid-padding convolution covers exactly the window positions scikit-image keeps after
 *   cropping. Channels are folded into the batch and the Gaussian is applied as two separable `conv2d`
 *   (no depthwise convolution), so it differentiates on every backend. Computed in float32: normalise
 *   elevations first, since `E[x^2] - E[x]^2` loses precision for large offsets.
 * @example
 * ```ts
 * const perSample = ssimPerSample(predicted, target, { dataRange: 1 });
 * ```
 */
export function ssimPerSample(
  prediction: tf.Tensor4D,
  target: tf.Tensor4D,
  options: SsimLossOptions = {},
): tf.Tensor1D {
  checkPair(prediction, target, 'ssimPerSample');
  const { dataRange, gaussianSigma, k1, k2 } = { ...DEFAULT_SSIM_LOSS_OPTIONS, ...options };
  if (!(dataRange > 0) || !(gaussianSigma > 0) || !(k1 > 0) || !(k2 > 0)) {
    throw new RangeError('ssimPerSample: dataRange, gaussianSigma, k1 and k2 must be positive');
  }
  const [batch, height, width, channels] = prediction.shape;
  const taps = gaussianWeights(gaussianSigma).length;
  if (height < taps || width < taps) {
    throw new RangeError(
      `ssimPerSample: images [${height}, ${width}] are smaller than the ${taps}x${taps} window`,
    );
  }
  return tf.tidy(() => {
    const x = foldChannels(prediction);
    const y = foldChannels(target);
    const count = batch * channels;
    const stacked = tf.concat([x, y, tf.mul(x, x), tf.mul(y, y), tf.mul(x, y)], 0) as tf.Tensor4D;
    const [muX, muY, xx, yy, xy] = tf.split(gaussianFilterValid(stacked, gaussianSigma), 5, 0);
    const c1 = (k1 * dataRange) ** 2;
    const c2 = (k2 * dataRange) ** 2;
    const muXY = tf.mul(muX, muY);
    const muXX = tf.square(muX);
    const muYY = tf.square(muY);
    const numerator = tf.mul(tf.add(tf.mul(2, muXY), c1), tf.add(tf.mul(2, tf.sub(xy, muXY)), c2));
    const denominator = tf.mul(
      tf.add(tf.add(muXX, muYY), c1),
      tf.add(tf.add(tf.sub(xx, muXX), tf.sub(yy, muYY)), c2),
    );
    const local = tf.div(numerator, denominator);
    const perImage = tf.mean(tf.reshape(local, [count, -1]), 1);
    return tf.mean(tf.reshape(perImage, [batch, channels]), 1) as tf.Tensor1D;
  });
}

/**
 * SSIM loss of the SiRAN objective: `mean over the batch of -log(SSIM(prediction, target))`.
 *
 * @param prediction - Predicted images, `[batch, height, width, channels]`.
 * @param target - Target images, same shape.
 * @param options - Data range (default 1, for normalised inputs), window, constants and the clamp `epsilon`.
 * @returns A scalar tensor; the caller disposes it. 0 when prediction equals target.
 * @throws RangeError as {@link ssimPerSample}.
 * @remarks SSIM is clamped below at `epsilon` before the logarithm; below the clamp the gradient is zero.
 * @example
 * ```ts
 * const gradient = tf.grad((p) => ssimLoss(p as tf.Tensor4D, target))(predicted);
 * ```
 */
export function ssimLoss(
  prediction: tf.Tensor4D,
  target: tf.Tensor4D,
  options: SsimLossOptions = {},
): tf.Scalar {
  const epsilon = options.epsilon ?? DEFAULT_SSIM_LOSS_OPTIONS.epsilon;
  return tf.tidy(() => {
    const similarity = ssimPerSample(prediction, target, options);
    return tf.neg(tf.mean(tf.log(tf.maximum(similarity, epsilon)))) as tf.Scalar;
  });
}
