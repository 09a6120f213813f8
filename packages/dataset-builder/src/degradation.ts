import type { Crs, GeoTransform, Raster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { gaussianAt } from './internal/random.js';

/**
 * A synthetic degradation that makes a coarse DEM from a high-resolution one.
 *
 * @remarks
 * Applied in this order: block averaging (`blockSize` x `blockSize` fine pixels per coarse cell),
 * Gaussian blur of the coarse grid, Gaussian noise, vertical bias, and a sub-pixel shift of the coarse
 * grid's georeferencing. Every field is recorded in the manifest, so the coarse layer can be recomputed.
 */
export interface DegradationOptions {
  /** Fine pixels per coarse cell along each axis (the coarse ground sampling distance / fine pixel size). */
  readonly blockSize: number;
  /** Standard deviation of the Gaussian blur, in coarse cells; 0 disables it. */
  readonly blurSigma?: number;
  /** Standard deviation of additive Gaussian noise, metres; 0 disables it. */
  readonly noiseStandardDeviation?: number;
  /** Constant added to every coarse cell, metres. */
  readonly verticalBias?: number;
  /** Shift of the coarse grid, in coarse cells: `[east, south]`; moves the coarse content by that much. */
  readonly shift?: readonly [number, number];
  /** Seed of the noise; the noise of a cell depends only on the seed and the cell's grid position. */
  readonly seed?: number;
}

/** Defaults for {@link DegradationOptions} (all but the required `blockSize`). */
export const DEFAULT_DEGRADATION_OPTIONS: Required<Omit<DegradationOptions, 'blockSize'>> = {
  blurSigma: 0,
  noiseStandardDeviation: 0,
  verticalBias: 0,
  shift: [0, 0],
  seed: 0,
};

/** Where a window sits in the whole fine grid, so windowed degradation equals whole-grid degradation. */
export interface DegradationWindow {
  /** First fine row of the window in the whole grid; a multiple of `blockSize`. */
  readonly row: number;
  /** First fine column of the window in the whole grid; a multiple of `blockSize`. */
  readonly column: number;
}

/**
 * Degrades a high-resolution single-band DEM into a coarse DEM on a block grid.
 *
 * @param fine - The high-resolution DEM (band 0 used; `NaN` or `nodata` cells ignored), metres.
 * @param options - The degradation; see {@link DegradationOptions}.
 * @param window - Position of `fine` in the whole grid when degrading by windows; `{ row: 0, column: 0 }`.
 * @returns The coarse DEM as a float32 raster (nodata `NaN`) whose cells are `blockSize` times larger,
 * georeferenced with the shift applied. Upsample it back to the fine grid with geo-io's `warpRaster`.
 * @throws RangeError if `blockSize` is not a positive integer, another option is out of range, or the
 * window position is not a multiple of `blockSize`.
 * @remarks
 * A block at the raster's right or bottom edge averages the fine cells it has. A block without valid cells
 * is `NaN`. The blur renormalises its weights over valid cells (truncated at 3 sigma).
 * @example
 * ```ts
 * const coarse = degradeDem(reference, { blockSize: 10, blurSigma: 0.5, noiseStandardDeviation: 0.2, seed: 1 });
 * ```
 */
export function degradeDem(
  fine: Raster,
  options: DegradationOptions,
  window: DegradationWindow = { row: 0, column: 0 },
): Raster {
  const settings = { ...DEFAULT_DEGRADATION_OPTIONS, ...options };
  const { blockSize } = settings;
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`degradeDem: blockSize ${blockSize} must be a positive integer`);
  }
  if (!(settings.blurSigma >= 0) || !(settings.noiseStandardDeviation >= 0)) {
    throw new RangeError('degradeDem: blurSigma and noiseStandardDeviation must be >= 0');
  }
  if (window.row % blockSize !== 0 || window.column % blockSize !== 0) {
    throw new RangeError(
      `degradeDem: window (${window.row}, ${window.column}) is not on the ${blockSize}-block lattice`,
    );
  }
  const [, height, width] = fine.data.shape as [number, number, number];
  const coarseWidth = Math.ceil(width / blockSize);
  const coarseHeight = Math.ceil(height / blockSize);
  let coarse = blockAverage(fine, blockSize, coarseWidth, coarseHeight);
  if (settings.blurSigma > 0) coarse = gaussianBlur(coarse, coarseWidth, coarseHeight, settings.blurSigma);
  const rowOffset = window.row / blockSize;
  const columnOffset = window.column / blockSize;
  for (let r = 0; r < coarseHeight; r += 1) {
    for (let c = 0; c < coarseWidth; c += 1) {
      const index = r * coarseWidth + c;
      if (Number.isNaN(coarse[index]!)) continue;
      const noise =
        settings.noiseStandardDeviation > 0
          ? settings.noiseStandardDeviation * gaussianAt(settings.seed, r + rowOffset, c + columnOffset)
          : 0;
      coarse[index] = coarse[index]! + noise + settings.verticalBias;
    }
  }
  const [x0, pixelWidth, rowRotation, y0, columnRotation, pixelHeight] = fine.transform;
  const [shiftEast, shiftSouth] = settings.shift;
  const transform: GeoTransform = [
    x0 + shiftEast * blockSize * pixelWidth,
    pixelWidth * blockSize,
    rowRotation * blockSize,
    y0 + shiftSouth * blockSize * pixelHeight,
    columnRotation * blockSize,
    pixelHeight * blockSize,
  ];
  return {
    data: ndarray(coarse, [1, coarseHeight, coarseWidth]),
    transform,
    crs: fine.crs as Crs,
    nodata: Number.NaN,
  };
}

/** Mean of the valid fine cells of each block. */
function blockAverage(
  fine: Raster,
  blockSize: number,
  coarseWidth: number,
  coarseHeight: number,
): Float32Array {
  const [, height, width] = fine.data.shape as [number, number, number];
  const sums = new Float64Array(coarseWidth * coarseHeight);
  const counts = new Uint32Array(coarseWidth * coarseHeight);
  const nodata = fine.nodata;
  for (let row = 0; row < height; row += 1) {
    const coarseRow = Math.floor(row / blockSize) * coarseWidth;
    for (let column = 0; column < width; column += 1) {
      const value = fine.data.get(0, row, column);
      if (Number.isNaN(value) || value === nodata) continue;
      const index = coarseRow + Math.floor(column / blockSize);
      sums[index] += value;
      counts[index] += 1;
    }
  }
  const coarse = new Float32Array(coarseWidth * coarseHeight);
  for (let i = 0; i < coarse.length; i += 1) coarse[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : Number.NaN;
  return coarse;
}

/** Separable Gaussian blur over valid cells, weights renormalised, kernel truncated at 3 sigma. */
function gaussianBlur(values: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma ** 2)),
  );
  const pass = (input: Float32Array, horizontal: boolean): Float32Array => {
    const output = new Float32Array(input.length);
    for (let row = 0; row < height; row += 1) {
      for (let column = 0; column < width; column += 1) {
        const centre = input[row * width + column]!;
        if (Number.isNaN(centre)) {
          output[row * width + column] = Number.NaN;
          continue;
        }
        let sum = 0;
        let weight = 0;
        for (let k = -radius; k <= radius; k += 1) {
          const r = horizontal ? row : row + k;
          const c = horizontal ? column + k : column;
          if (r < 0 || r >= height || c < 0 || c >= width) continue;
          const value = input[r * width + c]!;
          if (Number.isNaN(value)) continue;
          sum += kernel[k + radius]! * value;
          weight += kernel[k + radius]!;
        }
        output[row * width + column] = sum / weight;
      }
    }
    return output;
  };
  return pass(pass(values, true), false);
}
