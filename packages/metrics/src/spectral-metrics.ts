import { type GridSource, gridPair } from './internal/grid-source.js';
import type { GridInput, ValidityOptions } from './raster-input.js';

/** Options shared by {@link signalToReconstructionError} and {@link spectralAngleMapper}. */
export type SpectralMetricOptions = Omit<ValidityOptions, 'band'>;

/** One band pair per entry, checked for equal shapes; every band must share one shape. */
function bandPairs(
  prediction: readonly GridInput[],
  reference: readonly GridInput[],
  options: SpectralMetricOptions,
  functionName: string,
): Array<[GridSource, GridSource]> {
  if (prediction.length === 0 || prediction.length !== reference.length) {
    throw new RangeError(
      `${functionName}: expected the same non-zero number of bands, got ${prediction.length} predicted and ${reference.length} reference bands`,
    );
  }
  const pairs = prediction.map((band, index) => gridPair(band, reference[index], options, functionName));
  const [rows, cols] = [pairs[0][0].rows, pairs[0][0].cols];
  for (const [left] of pairs) {
    if (left.rows !== rows || left.cols !== cols) {
      throw new RangeError(
        `${functionName}: every band must have shape [${rows}, ${cols}], got [${left.rows}, ${left.cols}]`,
      );
    }
  }
  return pairs;
}

/**
 * Signal-to-reconstruction error in decibels, computed per band and averaged over the bands.
 *
 * @param prediction - Predicted bands, each `[rows, cols]` (or a raster band; band 0 of a raster is read).
 * @param reference - Reference bands, same count and shapes.
 * @param options - Nodata and mask (applied to every band).
 * @returns `mean over bands b of 10 log10(mean(ref_b^2) / mean((ref_b - pred_b)^2))`, in dB; `Infinity` when the
 *   prediction equals the reference on the valid pixels of every band.
 * @throws RangeError if the band counts or shapes differ, or a band has no pixel valid in both grids.
 * @remarks This is the definition DSen2 (Lanaras et al. 2018) uses: the ratio of the reference's mean power to
 *   the mean squared error, band by band, then the arithmetic mean of the per-band decibels. Unlike PSNR it needs no
 *   data range, and unlike RMSE it does not depend on the bands' scale. Means run over each band's pixels valid
 *   in both grids, in float64.
 * @example
 * ```ts
 * signalToReconstructionError([ndarray([2, 4], [1, 2])], [ndarray([1, 2], [1, 2])]); // 0 (prediction = 2 x ref)
 * ```
 */
export function signalToReconstructionError(
  prediction: readonly GridInput[],
  reference: readonly GridInput[],
  options: SpectralMetricOptions = {},
): number {
  const functionName = 'signalToReconstructionError';
  const pairs = bandPairs(prediction, reference, options, functionName);
  let total = 0;
  pairs.forEach(([left, right], band) => {
    const predicted = new Float64Array(left.cols);
    const expected = new Float64Array(left.cols);
    let count = 0;
    let power = 0;
    let squaredError = 0;
    for (let row = 0; row < left.rows; row++) {
      left.readRow(row, predicted);
      right.readRow(row, expected);
      for (let col = 0; col < left.cols; col++) {
        const error = predicted[col] - expected[col];
        if (Number.isNaN(error)) continue;
        count++;
        power += expected[col] * expected[col];
        squaredError += error * error;
      }
    }
    if (count === 0) throw new RangeError(`${functionName}: band ${band} has no pixel valid in both grids`);
    total += squaredError === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(power / squaredError);
  });
  return total / pairs.length;
}

/**
 * Spectral angle mapper: the mean, over pixels, of the angle between the predicted and the reference spectral
 * vectors, in degrees.
 *
 * @param prediction - Predicted bands, each `[rows, cols]` (or a raster band; band 0 of a raster is read).
 * @param reference - Reference bands, same count and shapes.
 * @param options - Nodata and mask (applied to every band).
 * @returns `mean over pixels p of acos(<pred_p, ref_p> / (|pred_p| |ref_p|))`, in degrees, in [0, 180].
 * @throws RangeError if the band counts or shapes differ, or no pixel is valid in every band with non-zero vectors.
 * @remarks A pixel counts when every band is valid in both grids and both spectral vectors have a non-zero norm
 *   (the angle of a zero vector is undefined). The cosine is clamped to [-1, 1] before `acos`. Computed in float64.
 * @example
 * ```ts
 * spectralAngleMapper([ndarray([1], [1, 1]), ndarray([0], [1, 1])], [ndarray([0], [1, 1]), ndarray([1], [1, 1])]); // 90
 * ```
 */
export function spectralAngleMapper(
  prediction: readonly GridInput[],
  reference: readonly GridInput[],
  options: SpectralMetricOptions = {},
): number {
  const functionName = 'spectralAngleMapper';
  const pairs = bandPairs(prediction, reference, options, functionName);
  const { rows, cols } = pairs[0][0];
  const predictedRows = pairs.map(() => new Float64Array(cols));
  const expectedRows = pairs.map(() => new Float64Array(cols));
  let count = 0;
  let angleSum = 0;
  for (let row = 0; row < rows; row++) {
    pairs.forEach(([left, right], band) => {
      left.readRow(row, predictedRows[band]);
      right.readRow(row, expectedRows[band]);
    });
    for (let col = 0; col < cols; col++) {
      let dot = 0;
      let predictedNorm = 0;
      let expectedNorm = 0;
      for (let band = 0; band < pairs.length; band++) {
        const p = predictedRows[band][col];
        const r = expectedRows[band][col];
        dot += p * r;
        predictedNorm += p * p;
        expectedNorm += r * r;
      }
      if (Number.isNaN(dot) || predictedNorm === 0 || expectedNorm === 0) continue;
      const cosine = Math.min(1, Math.max(-1, dot / Math.sqrt(predictedNorm * expectedNorm)));
      angleSum += Math.acos(cosine);
      count++;
    }
  }
  if (count === 0) {
    throw new RangeError(`${functionName}: no pixel is valid in every band with non-zero spectral vectors`);
  }
  return (angleSum / count) * (180 / Math.PI);
}
