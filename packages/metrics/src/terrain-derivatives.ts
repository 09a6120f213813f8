import ndarray from 'ndarray';
import {
  aspectDegrees,
  hillshadeValue,
  illumination,
  planCurvature,
  profileCurvature,
  slopeDegrees,
  slopePercent,
} from './internal/derivative-kernels.js';
import { gridSource } from './internal/grid-source.js';
import {
  type DerivativeRow,
  derivativeRow,
  evansYoungDerivatives,
  hornDerivatives,
  WindowRows,
} from './internal/terrain-window.js';
import type { Float64Grid, GridInput } from './raster-input.js';
import { resolveTerrainScale, type TerrainOptions } from './terrain-options.js';

/** Options for {@link slope}. */
export interface SlopeOptions extends TerrainOptions {
  /** `'degrees'` (0-90) or `'percent'` (100 * rise / run). */
  readonly units?: 'degrees' | 'percent';
}

/** Defaults of {@link SlopeOptions}. */
export const DEFAULT_SLOPE_OPTIONS = { units: 'degrees', zFactor: 1 } as const;

/** Options for {@link hillshade}. */
export interface HillshadeOptions extends TerrainOptions {
  /** Sun azimuth, degrees clockwise from north. */
  readonly azimuth?: number;
  /** Sun altitude above the horizon, degrees. */
  readonly altitude?: number;
}

/** Defaults of {@link HillshadeOptions}, those of `gdaldem hillshade`. */
export const DEFAULT_HILLSHADE_OPTIONS = { azimuth: 315, altitude: 45, zFactor: 1 } as const;

/** Options for {@link curvature}. */
export interface CurvatureOptions extends TerrainOptions {
  /** `'profile'`: curvature along the slope line; `'plan'`: curvature of the contour line. */
  readonly kind?: 'profile' | 'plan';
}

/** Defaults of {@link CurvatureOptions}. */
export const DEFAULT_CURVATURE_OPTIONS = { kind: 'profile', zFactor: 1 } as const;

type PixelFormula = (row: DerivativeRow, col: number) => number;

function mapDerivatives(
  dem: GridInput,
  options: TerrainOptions,
  functionName: string,
  method: 'horn' | 'evans-young',
  formula: PixelFormula,
): Float64Grid {
  const source = gridSource(dem, options, functionName, 'dem');
  const { cellX, cellY, zFactor } = resolveTerrainScale(source, options, functionName);
  const { rows, cols } = source;
  const output = new Float64Array(rows * cols);
  const windows = new WindowRows(source);
  const derivatives = derivativeRow(cols);
  const differentiate = method === 'horn' ? hornDerivatives : evansYoungDerivatives;
  for (let row = 0; row < rows; row++) {
    differentiate(windows.moveTo(row), cellX, cellY, zFactor, derivatives);
    const offset = row * cols;
    for (let col = 0; col < cols; col++) output[offset + col] = formula(derivatives, col);
  }
  return ndarray(output, [rows, cols]);
}

/**
 * Slope of a DEM by Horn's method, as `gdaldem slope`.
 *
 * @param dem - Elevations, `[rows, cols]` ndarray or a raster band.
 * @param options - Cell size (from the raster transform by default), z factor, units, nodata and mask.
 * @returns A new float64 `[rows, cols]` ndarray; NaN on the one-pixel border and wherever the 3x3
 *   window holds nodata (`gdaldem` writes nodata there).
 * @throws RangeError if no cell size is known or an option is out of range.
 * @example
 * ```ts
 * const degrees = slope(dem, { cellSize: 2 });
 * ```
 */
export function slope(dem: GridInput, options: SlopeOptions = {}): Float64Grid {
  const units = options.units ?? DEFAULT_SLOPE_OPTIONS.units;
  if (units !== 'degrees' && units !== 'percent') {
    throw new RangeError(`slope: units must be 'degrees' or 'percent', got '${units}'`);
  }
  const formula = units === 'degrees' ? slopeDegrees : slopePercent;
  return mapDerivatives(dem, options, 'slope', 'horn', (d, col) => formula(d.p[col], d.q[col]));
}

/**
 * Aspect (downslope direction) of a DEM by Horn's method, as `gdaldem aspect`.
 *
 * @param dem - Elevations, `[rows, cols]` ndarray or a raster band.
 * @param options - Cell size, z factor, nodata and mask.
 * @returns A new float64 `[rows, cols]` ndarray of azimuths in degrees clockwise from north, `[0, 360)`;
 *   NaN on flat cells, on the border and next to nodata.
 * @throws RangeError if no cell size is known.
 * @remarks Uses the cell sizes, so it differs from `gdaldem aspect` on non-square cells, where GDAL
 *   ignores them.
 * @example
 * ```ts
 * const azimuths = aspect(dem, { cellSize: 2 });
 * ```
 */
export function aspect(dem: GridInput, options: TerrainOptions = {}): Float64Grid {
  return mapDerivatives(dem, options, 'aspect', 'horn', (d, col) => aspectDegrees(d.p[col], d.q[col]));
}

/**
 * Shaded relief of a DEM, as `gdaldem hillshade` (Horn derivatives, single light source).
 *
 * @param dem - Elevations, `[rows, cols]` ndarray or a raster band.
 * @param options - Sun azimuth and altitude in degrees, z factor, cell size, nodata and mask.
 * @returns A new float64 `[rows, cols]` ndarray on gdaldem's scale `1 + 254 cos(incidence)` in
 *   `[1, 255]` (unrounded; gdaldem rounds to bytes), NaN on the border and next to nodata.
 * @throws RangeError if no cell size is known or the altitude is outside `[0, 90]`.
 * @example
 * ```ts
 * const shade = hillshade(dem, { azimuth: 315, altitude: 45, cellSize: 2 });
 * ```
 */
export function hillshade(dem: GridInput, options: HillshadeOptions = {}): Float64Grid {
  const { azimuth, altitude } = { ...DEFAULT_HILLSHADE_OPTIONS, ...options };
  if (!(altitude >= 0 && altitude <= 90) || !Number.isFinite(azimuth)) {
    throw new RangeError(
      `hillshade: expected altitude in [0, 90] and a finite azimuth, got ${altitude}, ${azimuth}`,
    );
  }
  const light = illumination(azimuth, altitude);
  return mapDerivatives(dem, options, 'hillshade', 'horn', (d, col) =>
    hillshadeValue(d.p[col], d.q[col], light),
  );
}

/**
 * Profile or plan curvature of a DEM from the Evans-Young quadratic fit on the 3x3 window.
 *
 * @param dem - Elevations, `[rows, cols]` ndarray or a raster band.
 * @param options - `kind` (`'profile'` or `'plan'`), cell size, z factor, nodata and mask.
 * @returns A new float64 `[rows, cols]` ndarray in 1/map unit (1/m). Positive means convex (hilltops,
 *   spurs), negative concave (valleys, hollows); 0 on flat cells; NaN on the border and next to nodata.
 * @throws RangeError if no cell size is known or `kind` is unknown.
 * @remarks Profile: `-(p²r + 2pqs + q²t) / ((p²+q²)(1+p²+q²)^1.5)`; plan:
 *   `-(q²r - 2pqs + p²t) / (p²+q²)^1.5` (Florinsky 2016, with the sign flipped so convex is positive).
 * @example
 * ```ts
 * const profile = curvature(dem, { kind: 'profile', cellSize: 2 });
 * ```
 */
export function curvature(dem: GridInput, options: CurvatureOptions = {}): Float64Grid {
  const kind = options.kind ?? DEFAULT_CURVATURE_OPTIONS.kind;
  if (kind !== 'profile' && kind !== 'plan') {
    throw new RangeError(`curvature: kind must be 'profile' or 'plan', got '${kind}'`);
  }
  const formula = kind === 'profile' ? profileCurvature : planCurvature;
  return mapDerivatives(dem, options, 'curvature', 'evans-young', (d, col) =>
    formula(d.p[col], d.q[col], d.r[col], d.s[col], d.t[col]),
  );
}
