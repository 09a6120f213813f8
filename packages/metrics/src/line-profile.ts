import { gridSource } from './internal/grid-source.js';
import type { GridInput, ValidityOptions } from './raster-input.js';

/** A point `[x, y]`: `[column, row]` in pixel coordinates or `[easting, northing]` in map coordinates. */
export type ProfilePoint = readonly [number, number];

/** Options for {@link lineProfile}. */
export interface LineProfileOptions extends ValidityOptions {
  /** Number of equally spaced samples, both ends included. Default: one per cell along the line, plus one. */
  readonly samples?: number;
  /**
   * `'pixel'`: points are `[column, row]` with pixel centres on integers (`[0, 0]` is the centre of the
   * top-left pixel). `'map'`: points are map coordinates, converted through the raster's geotransform.
   */
  readonly coordinates?: 'pixel' | 'map';
}

/** Defaults of {@link LineProfileOptions}. */
export const DEFAULT_LINE_PROFILE_OPTIONS = { coordinates: 'pixel' } as const;

/** Elevations sampled along a transect. */
export interface LineProfile {
  /** Distance from the start: map units when the input is a raster, pixels for a bare ndarray. */
  readonly distance: Float64Array;
  /** Sample positions in pixel coordinates (`[column, row]`, centres on integers). */
  readonly column: Float64Array;
  readonly row: Float64Array;
  /** Bilinear elevation; NaN outside the grid or next to nodata. */
  readonly elevation: Float64Array;
}

/**
 * Samples elevations along a straight line with bilinear interpolation.
 *
 * @param raster - A `[rows, cols]` ndarray or a raster band.
 * @param from - Start point (see {@link LineProfileOptions.coordinates}).
 * @param to - End point.
 * @param options - Samples, coordinate system, band, nodata and mask.
 * @returns The profile; samples whose four neighbours are not all valid (or that fall outside the grid) are NaN.
 * @throws RangeError if `samples < 2`, a point is not finite, or map coordinates are asked of a bare ndarray.
 * @example
 * ```ts
 * const profile = lineProfile(demRaster, [321500, 4297900], [321620, 4297900], { coordinates: 'map', samples: 61 });
 * ```
 */
export function lineProfile(
  raster: GridInput,
  from: ProfilePoint,
  to: ProfilePoint,
  options: LineProfileOptions = {},
): LineProfile {
  const source = gridSource(raster, options, 'lineProfile', 'raster');
  const coordinates = options.coordinates ?? DEFAULT_LINE_PROFILE_OPTIONS.coordinates;
  if (![...from, ...to].every(Number.isFinite)) {
    throw new RangeError(`lineProfile: points must be finite, got [${from}] and [${to}]`);
  }
  let start: ProfilePoint = from;
  let end: ProfilePoint = to;
  if (coordinates === 'map') {
    const transform = source.transform;
    if (transform === undefined) {
      throw new RangeError(
        "lineProfile: coordinates 'map' need a raster with a transform; got a bare ndarray",
      );
    }
    const toPixel = ([x, y]: ProfilePoint): ProfilePoint => [
      (x - transform[0]) / transform[1] - 0.5,
      (y - transform[3]) / transform[5] - 0.5,
    ];
    start = toPixel(from);
    end = toPixel(to);
  } else if (coordinates !== 'pixel') {
    throw new RangeError(`lineProfile: coordinates must be 'pixel' or 'map', got '${coordinates}'`);
  }
  const [cellX, cellY] = source.cellSize ?? [1, 1];
  const deltaColumn = end[0] - start[0];
  const deltaRow = end[1] - start[1];
  const length = Math.hypot(deltaColumn * cellX, deltaRow * cellY);
  const samples = options.samples ?? Math.ceil(Math.max(Math.abs(deltaColumn), Math.abs(deltaRow))) + 1;
  if (!Number.isInteger(samples) || samples < 2) {
    throw new RangeError(`lineProfile: samples must be an integer >= 2, got ${samples}`);
  }
  const profile: LineProfile = {
    distance: new Float64Array(samples),
    column: new Float64Array(samples),
    row: new Float64Array(samples),
    elevation: new Float64Array(samples),
  };
  const rowCache = new Map<number, Float64Array>();
  const readRow = (row: number): Float64Array => {
    let values = rowCache.get(row);
    if (values === undefined) {
      values = new Float64Array(source.cols);
      source.readRow(row, values);
      rowCache.set(row, values);
    }
    return values;
  };
  for (let index = 0; index < samples; index++) {
    const fraction = index / (samples - 1);
    const column = start[0] + fraction * deltaColumn;
    const row = start[1] + fraction * deltaRow;
    profile.distance[index] = fraction * length;
    profile.column[index] = column;
    profile.row[index] = row;
    profile.elevation[index] = bilinear(readRow, source.rows, source.cols, column, row);
  }
  return profile;
}

function bilinear(
  readRow: (row: number) => Float64Array,
  rows: number,
  cols: number,
  column: number,
  row: number,
): number {
  const tolerance = 1e-9;
  if (
    column < -tolerance ||
    row < -tolerance ||
    column > cols - 1 + tolerance ||
    row > rows - 1 + tolerance
  ) {
    return Number.NaN;
  }
  const column0 = Math.min(Math.max(Math.floor(column), 0), cols - 1);
  const row0 = Math.min(Math.max(Math.floor(row), 0), rows - 1);
  const fx = Math.min(Math.max(column - column0, 0), 1);
  const fy = Math.min(Math.max(row - row0, 0), 1);
  const column1 = Math.min(column0 + 1, cols - 1);
  const row1 = Math.min(row0 + 1, rows - 1);
  const upper = readRow(row0);
  let value = weighted(upper[column0], (1 - fx) * (1 - fy)) + weighted(upper[column1], fx * (1 - fy));
  if (fy > 0) {
    const lower = readRow(row1);
    value += weighted(lower[column0], (1 - fx) * fy) + weighted(lower[column1], fx * fy);
  }
  return value;
}

/** `value * weight`, where a zero weight ignores the value even when it is NaN. */
function weighted(value: number, weight: number): number {
  return weight === 0 ? 0 : value * weight;
}
