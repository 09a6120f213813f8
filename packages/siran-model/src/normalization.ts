import * as tf from '@tensorflow/tfjs-core';

/** How raw inputs (metres, guide digital numbers) become what the networks see. */
export interface InputNormalization {
  /** Metres per normalised elevation unit. */
  readonly elevationScale: number;
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
  /** `(coarse - offset) / elevationScale`, `[batch, height, width, 1]`. */
  readonly coarse: tf.Tensor4D;
  /** `(guide - mean) / standardDeviation` per channel, `[batch, height, width, 3]`. */
  readonly guide: tf.Tensor4D;
  /** Offsets in metres: the moving-window mean of the coarse DEM `[batch, height, width, 1]` (or each sample's mean, `[batch, 1, 1, 1]`). */
  readonly offset: tf.Tensor4D;
}

/**
 * Normalises a batch for the networks: elevations relative to the local mean of the coarse DEM (a moving
 * window of `offsetWindow` pixels) and divided by `elevationScale`, guide channels standardised.
 *
 * @param coarse - Coarse DEM on the guide grid, metres, `[batch, height, width, 1]`.
 * @param guide - Guide (NIR, red, green), source units, `[batch, height, width, 3]`.
 * @param normalization - Scales and guide statistics.
 * @returns The normalised tensors and the offsets; the caller disposes them.
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
      window > 1 ? tf.avgPool(coarse, window, 1, 'same') : tf.mean(coarse, [1, 2, 3], true)
    ) as tf.Tensor4D;
    return {
      coarse: normalizeElevation(coarse, offset, normalization),
      guide: tf.div(
        tf.sub(guide, tf.tensor1d([...normalization.guideMean])),
        tf.tensor1d(normalization.guideStandardDeviation.map((s) => Math.max(s, 1e-6))),
      ) as tf.Tensor4D,
      offset,
    };
  });
}

/**
 * Puts elevations in metres into the normalised units of a batch.
 *
 * @param elevation - Metres, `[batch, height, width, 1]`.
 * @param offset - Offsets from {@link normalizeInputs}.
 * @param normalization - The scale.
 * @returns `(elevation - offset) / elevationScale`; the caller disposes it.
 */
export function normalizeElevation(
  elevation: tf.Tensor4D,
  offset: tf.Tensor4D,
  normalization: InputNormalization,
): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(elevation, offset), normalization.elevationScale) as tf.Tensor4D);
}

/**
 * Turns normalised elevations back into metres.
 *
 * @param normalized - Normalised elevations, `[batch, height, width, 1]`.
 * @param offset - Offsets from {@link normalizeInputs}.
 * @param normalization - The scale.
 * @returns `normalized * elevationScale + offset`; the caller disposes it.
 */
export function denormalizeElevation(
  normalized: tf.Tensor4D,
  offset: tf.Tensor4D,
  normalization: InputNormalization,
): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.mul(normalized, normalization.elevationScale), offset) as tf.Tensor4D);
}
