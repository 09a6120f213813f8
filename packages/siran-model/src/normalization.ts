import * as tf from '@tensorflow/tfjs-core';

/**
 * How elevations are scaled after the local mean is subtracted: `'fixed'` divides by `elevationScale`;
 * `'local'` divides by `sqrt(s^2 + elevationScale^2)`, where `s` is the standard deviation of the coarse DEM in
 * the same moving window as the mean, so that flat lowland and steep mountains both reach the networks in units
 * of their own relief (`elevationScale` is then the floor that keeps flat areas from being blown up).
 */
export type ElevationScaling = 'fixed' | 'local';

/** How raw inputs (metres, guide digital numbers) become what the networks see. */
export interface InputNormalization {
  /** Metres per normalised elevation unit (`'fixed'` scaling), or the floor of the local scale (`'local'`). */
  readonly elevationScale: number;
  /** `'fixed'` (the default when absent) or `'local'`; see {@link ElevationScaling}. */
  readonly elevationScaling?: ElevationScaling;
  /**
   * Size (odd, pixels) of the moving window whose mean of the coarse DEM is subtracted from every elevation;
   * 0 subtracts each sample's global mean instead.
   */
  readonly offsetWindow: number;
  /** Per-channel mean of the guide (NIR, red, green), in source units. */
  readonly guideMean: readonly [number, number, number];
  /** Per-channel standard deviation of the guide, in source units. */
  readonly guideStandardDeviation: readonly [number, number, number];
}

/** Normalised inputs of one batch, and what is needed to go back to metres. */
export interface NormalizedBatch {
  /** `(coarse - offset) / scale`, `[batch, height, width, 1]`. */
  readonly coarse: tf.Tensor4D;
  /** `(guide - mean) / standardDeviation` per channel, `[batch, height, width, 3]`. */
  readonly guide: tf.Tensor4D;
  /** Offsets in metres: the moving-window mean of the coarse DEM `[batch, height, width, 1]` (or each sample's mean, `[batch, 1, 1, 1]`). */
  readonly offset: tf.Tensor4D;
  /** Metres per normalised unit: a scalar tensor (`'fixed'`) or a map shaped like `offset` (`'local'`). */
  readonly scale: tf.Tensor;
}

/**
 * Normalises a batch for the networks: elevations relative to the local mean of the coarse DEM (a moving
 * window of `offsetWindow` pixels) and divided by `elevationScale` or by a local scale (see
 * {@link ElevationScaling}), guide channels standardised.
 *
 * @param coarse - Coarse DEM on the guide grid, metres, `[batch, height, width, 1]`.
 * @param guide - Guide (NIR, red, green), source units, `[batch, height, width, 3]`.
 * @param normalization - Scales and guide statistics.
 * @returns The normalised tensors, the offsets and the scale; the caller disposes them.
 * @remarks Subtracting a local mean makes the model independent of absolute altitude (-300 m to 6000 m) and,
 *   unlike a per-patch mean, keeps the whole model translation-equivariant, so that a scene predicted in
 *   overlapping tiles matches a prediction in one piece away from tile borders. Dividing by a scale of about the
 *   expected correction keeps values of order one.
 */
export function normalizeInputs(
  coarse: tf.Tensor4D,
  guide: tf.Tensor4D,
  normalization: InputNormalization,
): NormalizedBatch {
  return tf.tidy(() => {
    const window = normalization.offsetWindow;
    const offset = (
      window > 1 ? movingMean(coarse, window) : tf.mean(coarse, [1, 2, 3], true)
    ) as tf.Tensor4D;
    const scale = elevationScale(coarse, offset, normalization);
    return {
      coarse: normalizeElevation(coarse, { offset, scale }),
      guide: tf.div(
        tf.sub(guide, tf.tensor1d([...normalization.guideMean])),
        tf.tensor1d(normalization.guideStandardDeviation.map((s) => Math.max(s, 1e-6))),
      ) as tf.Tensor4D,
      offset,
      scale,
    };
  });
}

/** The scale of {@link normalizeInputs}: a scalar, or the local standard deviation map with its floor. */
function elevationScale(
  coarse: tf.Tensor4D,
  offset: tf.Tensor4D,
  normalization: InputNormalization,
): tf.Tensor {
  const floor = normalization.elevationScale;
  if ((normalization.elevationScaling ?? 'fixed') === 'fixed') return tf.scalar(floor);
  const window = normalization.offsetWindow;
  const squares = tf.square(tf.sub(coarse, offset));
  const variance =
    window > 1 ? movingMean(squares as tf.Tensor4D, window) : tf.mean(squares, [1, 2, 3], true);
  return tf.sqrt(tf.add(variance, floor * floor));
}

/**
 * The mean over a `window` x `window` neighbourhood, clipped at the borders (padding does not count), as two
 * one-dimensional means: a clipped square is a product of clipped intervals, so the result equals the square's
 * mean, at `2 window` instead of `window^2` additions per pixel (a 15 x 15 pooling was the slowest op of the
 * `cpu` preset's prediction on tensorflow).
 */
function movingMean(x: tf.Tensor4D, window: number): tf.Tensor4D {
  return tf.avgPool(tf.avgPool(x, [window, 1], 1, 'same'), [1, window], 1, 'same');
}

/**
 * Puts elevations in metres into the normalised units of a batch.
 *
 * @param elevation - Metres, `[batch, height, width, 1]`.
 * @param batch - The `offset` and `scale` of {@link normalizeInputs} for the same batch.
 * @returns `(elevation - offset) / scale`; the caller disposes it.
 */
export function normalizeElevation(
  elevation: tf.Tensor4D,
  batch: Pick<NormalizedBatch, 'offset' | 'scale'>,
): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(elevation, batch.offset), batch.scale) as tf.Tensor4D);
}

/**
 * Turns normalised elevations back into metres.
 *
 * @param normalized - Normalised elevations, `[batch, height, width, 1]`.
 * @param batch - The `offset` and `scale` of {@link normalizeInputs} for the same batch.
 * @returns `normalized * scale + offset`; the caller disposes it.
 */
export function denormalizeElevation(
  normalized: tf.Tensor4D,
  batch: Pick<NormalizedBatch, 'offset' | 'scale'>,
): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.mul(normalized, batch.scale), batch.offset) as tf.Tensor4D);
}
