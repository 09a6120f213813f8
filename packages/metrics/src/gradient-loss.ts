import * as tf from '@tensorflow/tfjs-core';
import { foldChannels } from './internal/tensor-filters.js';

/** Options for {@link gradientLoss}. */
export interface GradientLossOptions {
  /** Cell size in the units of the (normalised) elevations: one number or `[x, y]`. */
  readonly cellSize?: number | readonly [number, number];
  /**
   * `'gradient'`: mean squared difference of the Horn derivatives dz/dx and dz/dy (averaged over both).
   * `'slope'`: mean squared difference of the slope magnitude `sqrt(p^2 + q^2)` (rise over run).
   */
  readonly target?: 'gradient' | 'slope';
  /** Added under the square root of the slope magnitude so its gradient is finite on flat cells. */
  readonly epsilon?: number;
}

/** Defaults of {@link GradientLossOptions}. */
export const DEFAULT_GRADIENT_LOSS_OPTIONS = { cellSize: 1, target: 'gradient', epsilon: 1e-8 } as const;

/**
 * Horn derivatives of every channel with `valid` padding.
 *
 * @param images - `[batch, height, width, channels]`.
 * @returns `[p, q]`, each `[batch * channels, height - 2, width - 2, 1]`; dz/dx east and dz/dy north.
 */
function hornDerivativeTensors(
  images: tf.Tensor4D,
  cellX: number,
  cellY: number,
): [tf.Tensor4D, tf.Tensor4D] {
  const folded = foldChannels(images);
  const east = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((w) => w / (8 * cellX));
  const north = [1, 2, 1, 0, 0, 0, -1, -2, -1].map((w) => w / (8 * cellY));
  const filters = tf.tensor4d(interleave(east, north), [3, 3, 1, 2]);
  const [p, q] = tf.split(tf.conv2d(folded, filters, 1, 'valid'), 2, 3);
  return [p as tf.Tensor4D, q as tf.Tensor4D];
}

function interleave(first: number[], second: number[]): number[] {
  return first.flatMap((value, index) => [value, second[index]]);
}

/**
 * Terrain gradient loss for DEMs: penalises differences of local slope between prediction and target.
 *
 * @param prediction - Predicted DEMs, `[batch, height, width, channels]`.
 * @param target - Target DEMs, same shape.
 * @param options - Cell size, `target` (`'gradient'` or `'slope'`) and `epsilon`.
 * @returns A scalar tensor; the caller disposes it.
 * @throws RangeError if the shapes differ, the images are smaller than 3x3 or the cell size is not positive.
 * @remarks Derivatives are Horn's (those of `gdaldem slope`, see {@link slope}) on interior pixels, as one
 *   `conv2d` with two output channels; differentiable on every backend.
 * @example
 * ```ts
 * const loss = gradientLoss(predicted, target, { cellSize: 30 / elevationScale });
 * ```
 */
export function gradientLoss(
  prediction: tf.Tensor4D,
  target: tf.Tensor4D,
  options: GradientLossOptions = {},
): tf.Scalar {
  const settings = { ...DEFAULT_GRADIENT_LOSS_OPTIONS, ...options };
  if (prediction.rank !== 4 || !tf.util.arraysEqual(prediction.shape, target.shape)) {
    throw new RangeError(
      `gradientLoss: expected two [batch, height, width, channels] tensors of one shape, got [${prediction.shape}] and [${target.shape}]`,
    );
  }
  if (prediction.shape[1] < 3 || prediction.shape[2] < 3) {
    throw new RangeError(`gradientLoss: images must be at least 3x3, got [${prediction.shape}]`);
  }
  const [cellX, cellY] =
    typeof settings.cellSize === 'number' ? [settings.cellSize, settings.cellSize] : settings.cellSize;
  if (!(cellX > 0) || !(cellY > 0)) {
    throw new RangeError(`gradientLoss: cellSize must be positive, got [${cellX}, ${cellY}]`);
  }
  if (settings.target !== 'gradient' && settings.target !== 'slope') {
    throw new RangeError(`gradientLoss: target must be 'gradient' or 'slope', got '${settings.target}'`);
  }
  return tf.tidy(() => {
    const [predictedP, predictedQ] = hornDerivativeTensors(prediction, cellX, cellY);
    const [targetP, targetQ] = hornDerivativeTensors(target, cellX, cellY);
    if (settings.target === 'gradient') {
      const squared = tf.add(
        tf.squaredDifference(predictedP, targetP),
        tf.squaredDifference(predictedQ, targetQ),
      );
      return tf.mul(0.5, tf.mean(squared)) as tf.Scalar;
    }
    const magnitude = (p: tf.Tensor, q: tf.Tensor) =>
      tf.sqrt(tf.add(tf.add(tf.square(p), tf.square(q)), settings.epsilon));
    return tf.mean(
      tf.squaredDifference(magnitude(predictedP, predictedQ), magnitude(targetP, targetQ)),
    ) as tf.Scalar;
  });
}
