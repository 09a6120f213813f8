import { gridPair } from './internal/grid-source.js';
import type { GridInput, ValidityOptions } from './raster-input.js';

/** Options shared by the pixel-wise error metrics. */
export type PixelMetricOptions = ValidityOptions;

/** Summary of the signed error `prediction - reference` over the valid pixels. */
export interface ErrorStatistics {
  /** Number of pixels valid in both grids. */
  readonly validPixelCount: number;
  /** Root mean squared error, in the grids' units. */
  readonly rmse: number;
  /** Mean absolute error. */
  readonly mae: number;
  /** Mean signed error (`prediction - reference`); positive means the prediction is too high. */
  readonly bias: number;
  /** Largest absolute error. */
  readonly maxAbsError: number;
  /** Smallest and largest valid reference value. */
  readonly referenceMinimum: number;
  readonly referenceMaximum: number;
}

/**
 * Computes every pixel-wise error statistic in one float64 pass.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - Band, nodata and mask. A pixel counts when it is valid in both grids; NaN and
 *   infinite values count as nodata.
 * @returns The statistics, see {@link ErrorStatistics}.
 * @throws RangeError if the shapes differ or no pixel is valid in both grids.
 * @example
 * ```ts
 * const stats = errorStatistics(predictedDem, referenceDem, { nodata: -9999 });
 * console.log(stats.rmse, stats.bias);
 * ```
 */
export function errorStatistics(
  prediction: GridInput,
  reference: GridInput,
  options: PixelMetricOptions = {},
): ErrorStatistics {
  const [left, right] = gridPair(prediction, reference, options, 'errorStatistics');
  const predictionRow = new Float64Array(left.cols);
  const referenceRow = new Float64Array(left.cols);
  let count = 0;
  let sum = 0;
  let sumAbs = 0;
  let sumSquares = 0;
  let maxAbs = 0;
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < left.rows; row++) {
    left.readRow(row, predictionRow);
    right.readRow(row, referenceRow);
    let rowSum = 0;
    let rowAbs = 0;
    let rowSquares = 0;
    for (let col = 0; col < left.cols; col++) {
      const expected = referenceRow[col];
      const error = predictionRow[col] - expected;
      if (Number.isNaN(error)) continue;
      const absolute = Math.abs(error);
      count++;
      rowSum += error;
      rowAbs += absolute;
      rowSquares += error * error;
      if (absolute > maxAbs) maxAbs = absolute;
      if (expected < minimum) minimum = expected;
      if (expected > maximum) maximum = expected;
    }
    sum += rowSum;
    sumAbs += rowAbs;
    sumSquares += rowSquares;
  }
  if (count === 0) {
    throw new RangeError('errorStatistics: no pixel is valid in both grids (all nodata, NaN or masked)');
  }
  return {
    validPixelCount: count,
    rmse: Math.sqrt(sumSquares / count),
    mae: sumAbs / count,
    bias: sum / count,
    maxAbsError: maxAbs,
    referenceMinimum: minimum,
    referenceMaximum: maximum,
  };
}

/**
 * Root mean squared error between two grids, over pixels valid in both.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - Band, nodata and mask.
 * @returns `sqrt(mean((prediction - reference)^2))`, in the grids' units.
 * @throws RangeError if the shapes differ or no pixel is valid in both grids.
 * @example
 * ```ts
 * rmse(ndarray([1, 2, 3, 4], [2, 2]), ndarray([1, 2, 3, 6], [2, 2])); // 1
 * ```
 */
export function rmse(prediction: GridInput, reference: GridInput, options: PixelMetricOptions = {}): number {
  return errorStatistics(prediction, reference, options).rmse;
}

/**
 * Mean absolute error between two grids, over pixels valid in both.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - Band, nodata and mask.
 * @returns `mean(|prediction - reference|)`.
 * @throws RangeError if the shapes differ or no pixel is valid in both grids.
 * @example
 * ```ts
 * mae(ndarray([1, 2, 3, 4], [2, 2]), ndarray([1, 2, 3, 6], [2, 2])); // 0.5
 * ```
 */
export function mae(prediction: GridInput, reference: GridInput, options: PixelMetricOptions = {}): number {
  return errorStatistics(prediction, reference, options).mae;
}

/**
 * Mean signed error (`prediction - reference`) over pixels valid in both grids.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - Band, nodata and mask.
 * @returns The bias; positive when the prediction is too high on average.
 * @throws RangeError if the shapes differ or no pixel is valid in both grids.
 * @example
 * ```ts
 * bias(ndarray([2, 3], [1, 2]), ndarray([1, 1], [1, 2])); // 1.5
 * ```
 */
export function bias(prediction: GridInput, reference: GridInput, options: PixelMetricOptions = {}): number {
  return errorStatistics(prediction, reference, options).bias;
}

/**
 * Largest absolute error over pixels valid in both grids.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - Band, nodata and mask.
 * @returns `max(|prediction - reference|)`.
 * @throws RangeError if the shapes differ or no pixel is valid in both grids.
 * @example
 * ```ts
 * maxAbsError(ndarray([2, -3], [1, 2]), ndarray([1, 1], [1, 2])); // 4
 * ```
 */
export function maxAbsError(
  prediction: GridInput,
  reference: GridInput,
  options: PixelMetricOptions = {},
): number {
  return errorStatistics(prediction, reference, options).maxAbsError;
}

/** Options for {@link psnr}. */
export interface PsnrOptions extends PixelMetricOptions {
  /**
   * Peak-to-peak range of the data, in the grids' units. Default: the range (max - min) of the valid
   * reference pixels, which is what DEM super-resolution papers usually mean; pass it explicitly to make
   * numbers comparable between patches.
   */
  readonly dataRange?: number;
}

/**
 * Peak signal-to-noise ratio in decibels, `10 log10(dataRange^2 / MSE)`.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - `dataRange` plus band, nodata and mask.
 * @returns PSNR in dB; `Infinity` when the grids are identical on the valid pixels (as scikit-image).
 * @throws RangeError if the shapes differ, no pixel is valid, or the data range is not positive
 *   (a constant reference with no explicit `dataRange`).
 * @remarks Matches scikit-image's `peak_signal_noise_ratio(reference, prediction, data_range=...)`.
 * @example
 * ```ts
 * psnr(predictedDem, referenceDem, { dataRange: 100 });
 * ```
 */
export function psnr(prediction: GridInput, reference: GridInput, options: PsnrOptions = {}): number {
  const statistics = errorStatistics(prediction, reference, options);
  const dataRange = resolveDataRange(options.dataRange, statistics, 'psnr');
  return psnrFromStatistics(statistics, dataRange);
}

/** PSNR from already computed statistics. */
export function psnrFromStatistics(statistics: ErrorStatistics, dataRange: number): number {
  const meanSquaredError = statistics.rmse * statistics.rmse;
  if (meanSquaredError === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((dataRange * dataRange) / meanSquaredError);
}

/**
 * The explicit data range or the reference range, validated.
 *
 * @throws RangeError if the result is not a positive finite number.
 */
export function resolveDataRange(
  dataRange: number | undefined,
  statistics: Pick<ErrorStatistics, 'referenceMinimum' | 'referenceMaximum'>,
  functionName: string,
): number {
  const range = dataRange ?? statistics.referenceMaximum - statistics.referenceMinimum;
  if (!(range > 0) || !Number.isFinite(range)) {
    const hint = dataRange === undefined ? ' (the reference is constant; pass dataRange explicitly)' : '';
    throw new RangeError(`${functionName}: dataRange must be a positive finite number, got ${range}${hint}`);
  }
  return range;
}
