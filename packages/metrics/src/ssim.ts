import ndarray from 'ndarray';
import { gaussianWeights, reflectIndex } from './internal/gaussian-kernel.js';
import { type GridSource, gridPair } from './internal/grid-source.js';
import { resolveDataRange } from './pixel-metrics.js';
import type { Float64Grid, GridInput, ValidityOptions } from './raster-input.js';

/** Options for {@link ssim} and {@link ssimMap}. */
export interface SsimOptions extends ValidityOptions {
  /** Peak-to-peak range of the data. Default: max - min of the valid reference pixels. */
  readonly dataRange?: number;
  /** Standard deviation of the Gaussian window in pixels; the window has `2 floor(3.5 sigma + 0.5) + 1` taps. */
  readonly gaussianSigma?: number;
  /** Luminance stabiliser: `C1 = (k1 * dataRange)^2`. */
  readonly k1?: number;
  /** Contrast stabiliser: `C2 = (k2 * dataRange)^2`. */
  readonly k2?: number;
}

/** Defaults of {@link SsimOptions}: Wang et al. (2004), as scikit-image with `gaussian_weights=True`. */
export const DEFAULT_SSIM_OPTIONS = { gaussianSigma: 1.5, k1: 0.01, k2: 0.03 } as const;

/** Result of {@link ssimMap}. */
export interface SsimMapResult {
  /** Mean SSIM over the pixels counted (see {@link ssim}). */
  readonly ssim: number;
  /** Local SSIM, `[rows, cols]`, float64; NaN where a window touches an invalid pixel. */
  readonly map: Float64Grid;
  /** How many pixels the mean was taken over. */
  readonly countedPixels: number;
}

/**
 * Mean structural similarity (SSIM) of two grids with a Gaussian window.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - Data range, window sigma, `k1`, `k2`, and band/nodata/mask.
 * @returns Mean SSIM in `[-1, 1]` (1 for identical grids, constant ones included).
 * @throws RangeError if the shapes differ, a side is shorter than the window (11 pixels at sigma 1.5),
 *   the data range is not positive, or no window lies fully on valid pixels.
 * @remarks
 * Matches scikit-image's `structural_similarity(prediction, reference, data_range=R,
 * gaussian_weights=True, sigma, use_sample_covariance=False, K1, K2)`: local moments from a normalised
 * Gaussian filter (scipy `reflect` borders), and the mean taken over the map with a border of the window
 * radius cropped. Nodata, NaN, infinite and masked pixels invalidate every window that contains them;
 * those windows are left out of the mean.
 * @example
 * ```ts
 * const value = ssim(predictedDem, referenceDem, { dataRange: 100 });
 * ```
 */
export function ssim(prediction: GridInput, reference: GridInput, options: SsimOptions = {}): number {
  return computeSsim(prediction, reference, options, 'ssim', false).ssim;
}

/**
 * Local structural similarity map and its mean, as {@link ssim}.
 *
 * @param prediction - Predicted grid, `[rows, cols]` (or a raster band).
 * @param reference - Reference grid of the same shape.
 * @param options - As {@link ssim}.
 * @returns The mean, the `[rows, cols]` map (scikit-image's `full=True` output) and the pixel count.
 * @throws RangeError as {@link ssim}.
 * @example
 * ```ts
 * const { map } = ssimMap(predictedDem, referenceDem, { dataRange: 100 });
 * ```
 */
export function ssimMap(
  prediction: GridInput,
  reference: GridInput,
  options: SsimOptions = {},
): SsimMapResult {
  return computeSsim(prediction, reference, options, 'ssimMap', true) as SsimMapResult;
}

const QUANTITIES = 5;

/**
 * SSIM for {@link evaluateDem}: as {@link ssim}, but NaN instead of an error when the grid is smaller than
 * the window or no window lies fully on valid pixels.
 */
export function ssimOrNaN(prediction: GridInput, reference: GridInput, options: SsimOptions): number {
  return computeSsim(prediction, reference, options, 'evaluateDem', false, true).ssim;
}

function computeSsim(
  prediction: GridInput,
  reference: GridInput,
  options: SsimOptions,
  functionName: string,
  withMap: boolean,
  nanWhenUndefined = false,
): { ssim: number; map?: Float64Grid; countedPixels: number } {
  const { gaussianSigma, k1, k2 } = { ...DEFAULT_SSIM_OPTIONS, ...options };
  if (!(gaussianSigma > 0))
    throw new RangeError(`${functionName}: gaussianSigma must be > 0, got ${gaussianSigma}`);
  if (!(k1 > 0) || !(k2 > 0))
    throw new RangeError(`${functionName}: k1 and k2 must be > 0, got ${k1}, ${k2}`);
  const [left, right] = gridPair(prediction, reference, options, functionName);
  const weights = gaussianWeights(gaussianSigma);
  const radius = (weights.length - 1) / 2;
  const { rows, cols } = left;
  if (rows < weights.length || cols < weights.length) {
    if (nanWhenUndefined) return { ssim: Number.NaN, countedPixels: 0 };
    throw new RangeError(
      `${functionName}: grid [${rows}, ${cols}] is smaller than the ${weights.length}x${weights.length} window; ` +
        'expected both sides >= 2 * floor(3.5 * gaussianSigma + 0.5) + 1',
    );
  }
  const range =
    options.dataRange === undefined
      ? referenceRange(left, right, functionName)
      : { referenceMinimum: 0, referenceMaximum: 0 };
  const dataRange = resolveDataRange(options.dataRange, range, functionName);
  const c1 = (k1 * dataRange) ** 2;
  const c2 = (k2 * dataRange) ** 2;
  const map = withMap ? new Float64Array(rows * cols) : undefined;
  const firstRow = withMap ? 0 : radius;
  const lastRow = withMap ? rows : rows - radius;
  const window = weights.length;
  const ring = Array.from({ length: window * QUANTITIES }, () => new Float64Array(cols));
  const filterRow = horizontalFilter(left, right, weights);
  const sums = Array.from({ length: QUANTITIES }, () => new Float64Array(cols));
  let total = 0;
  let counted = 0;
  for (let virtual = firstRow - radius; virtual < firstRow + radius; virtual++) {
    filterRow(reflectIndex(virtual, rows), ring, slotOf(virtual, window) * QUANTITIES);
  }
  for (let row = firstRow; row < lastRow; row++) {
    const newest = row + radius;
    filterRow(reflectIndex(newest, rows), ring, slotOf(newest, window) * QUANTITIES);
    const centre = slotOf(row, window) * QUANTITIES;
    for (let quantity = 0; quantity < QUANTITIES; quantity++) {
      const sum = sums[quantity];
      const middle = ring[centre + quantity];
      const weight = weights[radius];
      for (let col = 0; col < cols; col++) sum[col] = weight * middle[col];
      for (let offset = 1; offset <= radius; offset++) {
        const above = ring[slotOf(row - offset, window) * QUANTITIES + quantity];
        const below = ring[slotOf(row + offset, window) * QUANTITIES + quantity];
        const pairWeight = weights[radius + offset];
        for (let col = 0; col < cols; col++) sum[col] += pairWeight * (above[col] + below[col]);
      }
    }
    const inCrop = row >= radius && row < rows - radius;
    let rowTotal = 0;
    for (let col = 0; col < cols; col++) {
      const muX = sums[0][col];
      const muY = sums[1][col];
      const varianceX = sums[2][col] - muX * muX;
      const varianceY = sums[3][col] - muY * muY;
      const covariance = sums[4][col] - muX * muY;
      const local =
        ((2 * muX * muY + c1) * (2 * covariance + c2)) /
        ((muX * muX + muY * muY + c1) * (varianceX + varianceY + c2));
      if (map !== undefined) map[row * cols + col] = local;
      if (inCrop && col >= radius && col < cols - radius && !Number.isNaN(local)) {
        rowTotal += local;
        counted++;
      }
    }
    total += rowTotal;
  }
  if (counted === 0) {
    if (nanWhenUndefined) return { ssim: Number.NaN, countedPixels: 0 };
    throw new RangeError(`${functionName}: no ${window}x${window} window lies fully on valid pixels`);
  }
  const result = { ssim: total / counted, countedPixels: counted };
  return map === undefined ? result : { ...result, map: ndarray(map, [rows, cols]) };
}

function slotOf(virtualRow: number, window: number): number {
  const slot = virtualRow % window;
  return slot < 0 ? slot + window : slot;
}

/** Returns a function that filters one source row horizontally into five ring buffers: x, y, xx, yy, xy. */
function horizontalFilter(left: GridSource, right: GridSource, weights: Float64Array) {
  const { cols } = left;
  const radius = (weights.length - 1) / 2;
  const x = new Float64Array(cols);
  const y = new Float64Array(cols);
  const padded = new Float64Array(cols + 2 * radius);
  const reflected = Int32Array.from({ length: 2 * radius }, (_, i) =>
    reflectIndex(i < radius ? i - radius : cols + i - radius, cols),
  );
  const filterInto = (source: Float64Array, out: Float64Array): void => {
    padded.set(source, radius);
    for (let i = 0; i < radius; i++) {
      padded[i] = source[reflected[i]];
      padded[cols + radius + i] = source[reflected[radius + i]];
    }
    const centre = weights[radius];
    for (let col = 0; col < cols; col++) {
      const middle = col + radius;
      let sum = centre * padded[middle];
      for (let offset = 1; offset <= radius; offset++) {
        sum += weights[radius + offset] * (padded[middle - offset] + padded[middle + offset]);
      }
      out[col] = sum;
    }
  };
  const products = new Float64Array(cols);
  return (sourceRow: number, ring: Float64Array[], base: number): void => {
    left.readRow(sourceRow, x);
    right.readRow(sourceRow, y);
    filterInto(x, ring[base]);
    filterInto(y, ring[base + 1]);
    for (let col = 0; col < cols; col++) products[col] = x[col] * x[col];
    filterInto(products, ring[base + 2]);
    for (let col = 0; col < cols; col++) products[col] = y[col] * y[col];
    filterInto(products, ring[base + 3]);
    for (let col = 0; col < cols; col++) products[col] = x[col] * y[col];
    filterInto(products, ring[base + 4]);
  };
}

function referenceRange(left: GridSource, right: GridSource, functionName: string) {
  const x = new Float64Array(left.cols);
  const y = new Float64Array(left.cols);
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < left.rows; row++) {
    left.readRow(row, x);
    right.readRow(row, y);
    for (let col = 0; col < left.cols; col++) {
      const value = y[col];
      if (Number.isNaN(value) || Number.isNaN(x[col])) continue;
      if (value < minimum) minimum = value;
      if (value > maximum) maximum = value;
    }
  }
  if (minimum > maximum) throw new RangeError(`${functionName}: no pixel is valid in both grids`);
  return { referenceMinimum: minimum, referenceMaximum: maximum };
}
