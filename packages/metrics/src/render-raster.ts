import { type ColorRamp, DIVERGING_RAMP, GREY_RAMP, rampLookupTable, TERRAIN_RAMP } from './color-ramp.js';
import { gridPair, gridSource } from './internal/grid-source.js';
import type { GridInput, ValidityOptions } from './raster-input.js';
import { type HillshadeOptions, hillshade } from './terrain-derivatives.js';

/** An 8-bit RGBA image, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** A coloured raster and the value range its colours stand for. */
export interface ColoredRaster {
  readonly image: RgbaImage;
  /** Value at the start of the ramp. */
  readonly minimum: number;
  /** Value at the end of the ramp. */
  readonly maximum: number;
  /** The ramp used, for legends. */
  readonly ramp: ColorRamp;
}

/** Options for {@link colorizeRaster}. */
export interface ColorizeOptions extends ValidityOptions {
  /** Colour ramp. Default {@link TERRAIN_RAMP}. */
  readonly ramp?: ColorRamp;
  /** Value mapped to the start of the ramp. Default: the `lowPercentile` of the valid values. */
  readonly minimum?: number;
  /** Value mapped to the end of the ramp. Default: the `highPercentile` of the valid values. */
  readonly maximum?: number;
  /** Percentiles (0-100) used for the default minimum and maximum. */
  readonly lowPercentile?: number;
  readonly highPercentile?: number;
}

/** Defaults of {@link ColorizeOptions}: the full range of the data. */
export const DEFAULT_COLORIZE_OPTIONS = {
  ramp: TERRAIN_RAMP,
  lowPercentile: 0,
  highPercentile: 100,
} as const;

/**
 * Reads every row of a grid into one float64 array (invalid pixels NaN).
 */
function readAll(input: GridInput, options: ValidityOptions, functionName: string) {
  const source = gridSource(input, options, functionName, 'raster');
  const values = new Float64Array(source.rows * source.cols);
  for (let row = 0; row < source.rows; row++)
    source.readRow(row, values.subarray(row * source.cols, (row + 1) * source.cols));
  return { values, rows: source.rows, cols: source.cols };
}

/**
 * Percentile of the finite values (linear interpolation between order statistics, numpy's default).
 *
 * @param values - Values; NaN entries are ignored.
 * @param percentile - 0-100.
 * @returns The percentile, or NaN when there is no finite value.
 * @example
 * ```ts
 * percentileOf(Float64Array.of(1, 2, 3, 4), 50); // 2.5
 * ```
 */
export function percentileOf(values: ArrayLike<number>, percentile: number): number {
  const finite = Float64Array.from(
    Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[],
  );
  if (finite.length === 0) return Number.NaN;
  finite.sort();
  const position = (Math.min(Math.max(percentile, 0), 100) / 100) * (finite.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, finite.length - 1);
  return finite[lower] + (position - lower) * (finite[upper] - finite[lower]);
}

function paint(
  values: Float64Array,
  rows: number,
  cols: number,
  ramp: ColorRamp,
  minimum: number,
  maximum: number,
) {
  const table = rampLookupTable(ramp);
  const last = table.length / 3 - 1;
  const data = new Uint8ClampedArray(rows * cols * 4);
  const span = maximum > minimum ? maximum - minimum : 1;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (Number.isNaN(value)) continue; // transparent
    const entry = Math.round(Math.min(Math.max((value - minimum) / span, 0), 1) * last) * 3;
    data[index * 4] = table[entry];
    data[index * 4 + 1] = table[entry + 1];
    data[index * 4 + 2] = table[entry + 2];
    data[index * 4 + 3] = 255;
  }
  return { width: cols, height: rows, data };
}

/**
 * Colours a single-band raster with a ramp; nodata pixels become transparent.
 *
 * @param raster - A `[rows, cols]` ndarray or raster band.
 * @param options - Ramp, value range (or percentiles for it), band, nodata and mask.
 * @returns The RGBA image and the range the ramp spans.
 * @throws RangeError if every pixel is nodata.
 * @example
 * ```ts
 * const { image, minimum, maximum } = colorizeRaster(dem, { ramp: TERRAIN_RAMP });
 * ```
 */
export function colorizeRaster(raster: GridInput, options: ColorizeOptions = {}): ColoredRaster {
  const settings = { ...DEFAULT_COLORIZE_OPTIONS, ...options };
  const { values, rows, cols } = readAll(raster, options, 'colorizeRaster');
  const minimum = options.minimum ?? percentileOf(values, settings.lowPercentile);
  const maximum = options.maximum ?? percentileOf(values, settings.highPercentile);
  if (Number.isNaN(minimum) || Number.isNaN(maximum)) {
    throw new RangeError('colorizeRaster: every pixel is nodata; nothing to draw');
  }
  return {
    image: paint(values, rows, cols, settings.ramp, minimum, maximum),
    minimum,
    maximum,
    ramp: settings.ramp,
  };
}

/**
 * Renders a DEM as shaded relief in grey (gdaldem's hillshade, 1-255).
 *
 * @param dem - Elevations, `[rows, cols]` ndarray or raster band.
 * @param options - Sun position, z factor and cell size as {@link hillshade}.
 * @returns The grey image (border and nodata transparent).
 * @throws RangeError as {@link hillshade}.
 * @example
 * ```ts
 * const { image } = renderHillshade(demRaster, { azimuth: 315, altitude: 45 });
 * ```
 */
export function renderHillshade(dem: GridInput, options: HillshadeOptions = {}): ColoredRaster {
  const shade = hillshade(dem, options);
  return colorizeRaster(shade, { ramp: GREY_RAMP, minimum: 0, maximum: 255 });
}

/** Options for {@link renderErrorMap}. */
export interface ErrorMapOptions extends ValidityOptions {
  /** Errors of this magnitude or more take the end colours. Default: 98th percentile of |error|. */
  readonly limit?: number;
}

/**
 * Colours the signed error `prediction - reference` with a diverging ramp centred on 0.
 *
 * @param prediction - Predicted DEM, `[rows, cols]` ndarray or raster band.
 * @param reference - Reference DEM, same shape.
 * @param options - Symmetric colour limit, band, nodata and mask.
 * @returns The image; `minimum = -limit`, `maximum = limit`. White means no error, red too high, blue too low.
 * @throws RangeError if the shapes differ or no pixel is valid in both.
 * @example
 * ```ts
 * const { image } = renderErrorMap(predicted, reference, { limit: 5 });
 * ```
 */
export function renderErrorMap(
  prediction: GridInput,
  reference: GridInput,
  options: ErrorMapOptions = {},
): ColoredRaster {
  const [left, right] = gridPair(prediction, reference, options, 'renderErrorMap');
  const errors = new Float64Array(left.rows * left.cols);
  const row = new Float64Array(left.cols);
  for (let r = 0; r < left.rows; r++) {
    const target = errors.subarray(r * left.cols, (r + 1) * left.cols);
    left.readRow(r, target);
    right.readRow(r, row);
    for (let c = 0; c < left.cols; c++) target[c] -= row[c];
  }
  const magnitude = Float64Array.from(errors, Math.abs);
  const limit = options.limit ?? percentileOf(magnitude, 98);
  if (Number.isNaN(limit)) throw new RangeError('renderErrorMap: no pixel is valid in both grids');
  const span = limit > 0 ? limit : 1;
  return {
    image: paint(errors, left.rows, left.cols, DIVERGING_RAMP, -span, span),
    minimum: -span,
    maximum: span,
    ramp: DIVERGING_RAMP,
  };
}
