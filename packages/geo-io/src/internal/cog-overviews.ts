/**
 * Internal overviews of a Cloud-optimised GeoTIFF: each level halves the previous one (sizes rounded up) until
 * the whole level fits in one tile. Values are computed from the full-resolution values as stored in the file
 * (after the writer's conversion to the output type), so that an overview describes exactly the pixels beneath.
 */
import { createTypedArray, INTEGER_RANGES, isFloatDataType } from '../raster-data-type.js';
import type { Raster, RasterDataType, RasterTypedArray } from '../types.js';

/** How overview pixels are computed from the full-resolution pixels they cover. */
export type OverviewResampling = 'average' | 'nearest';

/** The size of one overview level. */
export interface OverviewSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Overview sizes: `ceil(size / 2)` per level, until both dimensions fit in one tile; none when the image already
 * does. Level `k` (1-based) is `ceil(width / 2^k)` x `ceil(height / 2^k)`, so each of its pixels covers the
 * full-resolution block `[i 2^k, (i + 1) 2^k)` (cut at the image edge).
 *
 * @param width - Full-resolution columns.
 * @param height - Full-resolution rows.
 * @param tileSize - Tile size in pixels.
 * @returns The levels, largest first.
 */
export function overviewSizes(width: number, height: number, tileSize: number): OverviewSize[] {
  const sizes: OverviewSize[] = [];
  let [columns, rows] = [width, height];
  while (columns > tileSize || rows > tileSize) {
    columns = Math.ceil(columns / 2);
    rows = Math.ceil(rows / 2);
    sizes.push({ width: columns, height: rows });
  }
  return sizes;
}

/** Converts a value to what the writer stores for a data type (integers rounded and clamped, NaN to `fill`). */
function storedValue(dataType: RasterDataType, fill: number): (value: number) => number {
  const range = INTEGER_RANGES[dataType];
  if (range) {
    const [low, high] = range;
    return (value) => (Number.isNaN(value) ? fill : Math.min(high, Math.max(low, Math.round(value))));
  }
  return dataType === 'float32' ? Math.fround : (value) => value;
}

/** The writer's conversion and the nodata rules of one raster written as one data type. */
function valueRules(raster: Raster, dataType: RasterDataType) {
  const { nodata } = raster;
  const float = isFloatDataType(dataType);
  const fill = nodata !== null && Number.isFinite(nodata) ? nodata : 0;
  const store = storedValue(dataType, fill);
  // A pixel is nodata when its stored value equals the GDAL_NODATA value as GDAL compares it for the band's type.
  const nodataStored = nodata === null ? null : dataType === 'float32' ? Math.fround(nodata) : nodata;
  const isValid =
    nodataStored === null
      ? float
        ? (value: number) => !Number.isNaN(value)
        : () => true
      : float
        ? (value: number) => !Number.isNaN(value) && value !== nodataStored
        : (value: number) => value !== nodataStored;
  // Where no valid pixel contributes: the nodata value, else NaN (floats only: integers without nodata are valid).
  const empty = nodata === null ? Number.NaN : store(nodata);
  return { store, isValid, empty };
}

/** Area averages of one band, level after level, from exact sums and counts of valid full-resolution pixels. */
function averageBand(
  raster: Raster,
  band: number,
  sizes: readonly OverviewSize[],
  dataType: RasterDataType,
  levels: RasterTypedArray[],
): void {
  // `store` also finishes a mean: integers rounded and clamped, float32 rounded to the nearest float.
  const { store, isValid, empty } = valueRules(raster, dataType);
  const [, rows, columns] = raster.data.shape;
  const { data, stride, offset } = raster.data;
  let { width, height } = sizes[0];
  let sums = new Float64Array(width * height);
  let counts = new Uint32Array(width * height);
  for (let row = 0; row < rows; row++) {
    const base = offset + band * stride[0] + row * stride[1];
    const target = (row >> 1) * width;
    for (let column = 0; column < columns; column++) {
      const value = store(data[base + column * stride[2]]);
      if (!isValid(value)) continue;
      sums[target + (column >> 1)] += value;
      counts[target + (column >> 1)] += 1;
    }
  }
  for (let level = 0; level < sizes.length; level++) {
    if (level > 0) {
      const previous = { sums, counts, width };
      ({ width, height } = sizes[level]);
      sums = new Float64Array(width * height);
      counts = new Uint32Array(width * height);
      const previousRows = sizes[level - 1].height;
      for (let row = 0; row < previousRows; row++) {
        const target = (row >> 1) * width;
        for (let column = 0; column < previous.width; column++) {
          const index = row * previous.width + column;
          sums[target + (column >> 1)] += previous.sums[index];
          counts[target + (column >> 1)] += previous.counts[index];
        }
      }
    }
    const output = levels[level];
    const base = band * width * height;
    for (let index = 0; index < width * height; index++) {
      output[base + index] = counts[index] > 0 ? store(sums[index] / counts[index]) : empty;
    }
  }
}

/** Nearest neighbour: the full-resolution pixel under the centre of each overview pixel's block. */
function nearestBand(
  raster: Raster,
  band: number,
  sizes: readonly OverviewSize[],
  dataType: RasterDataType,
  levels: RasterTypedArray[],
): void {
  const { store } = valueRules(raster, dataType);
  const [, rows, columns] = raster.data.shape;
  const { data, stride, offset } = raster.data;
  sizes.forEach(({ width, height }, level) => {
    const factor = 2 ** (level + 1);
    const output = levels[level];
    for (let row = 0; row < height; row++) {
      const sourceRow = Math.min(rows - 1, row * factor + factor / 2);
      const base = offset + band * stride[0] + sourceRow * stride[1];
      for (let column = 0; column < width; column++) {
        const sourceColumn = Math.min(columns - 1, column * factor + factor / 2);
        output[(band * height + row) * width + column] = store(data[base + sourceColumn * stride[2]]);
      }
    }
  });
}

/**
 * Computes every overview level of a raster.
 *
 * @param raster - The full-resolution raster, `[bands, rows, cols]`.
 * @param dataType - The type the file stores (the overview arrays have it too).
 * @param sizes - The levels, from {@link overviewSizes}.
 * @param resampling - `'average'`: mean of the valid pixels (not nodata, not NaN) of each block, nodata where
 *   none is valid, integers rounded (`Math.round`) and clamped; `'nearest'`: the pixel under the block's centre.
 * @returns One band-sequential array per level, largest first.
 */
export function computeOverviews(
  raster: Raster,
  dataType: RasterDataType,
  sizes: readonly OverviewSize[],
  resampling: OverviewResampling,
): RasterTypedArray[] {
  const bands = raster.data.shape[0];
  const levels = sizes.map(({ width, height }) => createTypedArray(dataType, bands * width * height));
  if (sizes.length === 0) return levels;
  for (let band = 0; band < bands; band++) {
    if (resampling === 'average') averageBand(raster, band, sizes, dataType, levels);
    else nearestBand(raster, band, sizes, dataType, levels);
  }
  return levels;
}
