import proj4 from 'proj4';
import { applyGeoTransform } from './geo-transform.js';
import { type CrsInput, resolveCrs } from './resolve-crs.js';
import type { Bounds, GeoTransform, Raster, TargetGrid } from './types.js';

/** A pixel size in map units: one number for square pixels, or `[x, y]`. */
export type Resolution = number | readonly [number, number];

function splitResolution(caller: string, resolution: Resolution): [number, number] {
  const [x, y] = typeof resolution === 'number' ? [resolution, resolution] : resolution;
  if (!(x > 0) || !(y > 0) || !Number.isFinite(x) || !Number.isFinite(y)) {
    throw new RangeError(
      `${caller}: resolution ${String(resolution)} is invalid; expected positive map units per pixel`,
    );
  }
  return [x, y];
}

/**
 * The bounding box of a raster (or grid) in its own CRS.
 *
 * @param grid - A raster or a target grid.
 * @returns The smallest axis-aligned box holding all four corners.
 * @example
 * ```ts
 * rasterBounds(dem); // { minX, minY, maxX, maxY }
 * ```
 */
export function rasterBounds(grid: Raster | TargetGrid): Bounds {
  const [width, height] =
    'data' in grid ? [grid.data.shape[2], grid.data.shape[1]] : [grid.width, grid.height];
  const corners = [
    applyGeoTransform(grid.transform, 0, 0),
    applyGeoTransform(grid.transform, width, 0),
    applyGeoTransform(grid.transform, 0, height),
    applyGeoTransform(grid.transform, width, height),
  ];
  const xs = corners.map((corner) => corner[0]);
  const ys = corners.map((corner) => corner[1]);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

/**
 * The grid of an existing raster (to warp another raster onto it).
 *
 * @param raster - The raster whose grid to copy.
 * @returns Its size, geotransform and CRS.
 * @example
 * ```ts
 * const aligned = warpRaster(landsat, targetGridOfRaster(dem), { resampling: 'average' });
 * ```
 */
export function targetGridOfRaster(raster: Raster): TargetGrid {
  return {
    width: raster.data.shape[2],
    height: raster.data.shape[1],
    transform: raster.transform,
    crs: raster.crs,
  };
}

/**
 * A north-up grid covering a bounding box at a given resolution (like `gdalwarp -te -tr`).
 *
 * @param bounds - The box in the CRS's units.
 * @param resolution - Pixel size in map units, one number or `[x, y]`.
 * @param crs - The grid's CRS.
 * @returns A grid whose origin is the box's top-left corner; sizes are rounded to the nearest whole pixel.
 * @throws RangeError for a non-positive resolution or an empty box.
 * @example
 * ```ts
 * targetGridFromBounds({ minX: 0, minY: 0, maxX: 100, maxY: 50 }, 10, 'EPSG:32612'); // 10 x 5 pixels
 * ```
 */
export function targetGridFromBounds(bounds: Bounds, resolution: Resolution, crs: CrsInput): TargetGrid {
  const [x, y] = splitResolution('targetGridFromBounds', resolution);
  const width = Math.round((bounds.maxX - bounds.minX) / x);
  const height = Math.round((bounds.maxY - bounds.minY) / y);
  if (!(width >= 1) || !(height >= 1)) {
    throw new RangeError(
      'targetGridFromBounds: the bounds hold no whole pixel; expected maxX > minX and maxY > minY',
    );
  }
  const transform: GeoTransform = [bounds.minX, x, 0, bounds.maxY, 0, -y];
  return { width, height, transform, crs: resolveCrs(crs) };
}

/**
 * The grid of a raster at another resolution, same CRS and same top-left corner (like `gdalwarp -tr`).
 *
 * @param raster - The raster (or grid) to resample.
 * @param resolution - New pixel size in map units, one number or `[x, y]`.
 * @returns A north-up grid covering the raster's bounds.
 * @throws RangeError for a non-positive resolution.
 * @example
 * ```ts
 * const coarse = warpRaster(dem, targetGridAtResolution(dem, 30), { resampling: 'average' });
 * ```
 */
export function targetGridAtResolution(raster: Raster | TargetGrid, resolution: Resolution): TargetGrid {
  return targetGridFromBounds(rasterBounds(raster), resolution, raster.crs);
}

/** Options for {@link targetGridForCrs}. */
export interface TargetGridForCrsOptions {
  /** Pixel size in the target CRS; by default the one that keeps the diagonal's pixel count (as GDAL suggests). */
  readonly resolution?: Resolution;
  /** Points sampled along each edge of the source to find the target extent. */
  readonly edgeSamples?: number;
}

/** Defaults for {@link TargetGridForCrsOptions}. */
export const DEFAULT_TARGET_GRID_FOR_CRS_OPTIONS: Required<Omit<TargetGridForCrsOptions, 'resolution'>> = {
  edgeSamples: 21,
};

/**
 * A north-up grid in another CRS that covers a raster (like `gdalwarp -t_srs` without `-tr`/`-te`).
 *
 * @param raster - The source raster (or grid).
 * @param crs - The target CRS.
 * @param options - Resolution and edge sampling.
 * @returns The grid: the transformed extent (edges sampled), with a square pixel size that keeps the
 *   number of pixels along the diagonal unless `resolution` is given.
 * @throws TypeError if the CRS cannot be resolved; RangeError if the edges cannot be transformed.
 * @example
 * ```ts
 * const grid = targetGridForCrs(dem, 'EPSG:4326');
 * ```
 */
export function targetGridForCrs(
  raster: Raster | TargetGrid,
  crs: CrsInput,
  options: TargetGridForCrsOptions = {},
): TargetGrid {
  const targetCrs = resolveCrs(crs);
  const samples = options.edgeSamples ?? DEFAULT_TARGET_GRID_FOR_CRS_OPTIONS.edgeSamples;
  const converter = proj4(raster.crs.proj4, targetCrs.proj4);
  const [width, height] =
    'data' in raster ? [raster.data.shape[2], raster.data.shape[1]] : [raster.width, raster.height];
  const points: [number, number][] = [];
  for (let step = 0; step <= samples; step++) {
    const t = step / samples;
    for (const [column, row] of [
      [t * width, 0],
      [t * width, height],
      [0, t * height],
      [width, t * height],
    ]) {
      const [x, y] = converter.forward(applyGeoTransform(raster.transform, column, row));
      if (Number.isFinite(x) && Number.isFinite(y)) points.push([x, y]);
    }
  }
  if (points.length === 0)
    throw new RangeError('targetGridForCrs: no edge point of the raster could be transformed');
  const bounds: Bounds = {
    minX: Math.min(...points.map((point) => point[0])),
    maxX: Math.max(...points.map((point) => point[0])),
    minY: Math.min(...points.map((point) => point[1])),
    maxY: Math.max(...points.map((point) => point[1])),
  };
  let resolution = options.resolution;
  if (resolution === undefined) {
    const [x0, y0] = converter.forward(applyGeoTransform(raster.transform, 0, 0));
    const [x1, y1] = converter.forward(applyGeoTransform(raster.transform, width, height));
    resolution = Math.hypot(x1 - x0, y1 - y0) / Math.hypot(width, height);
  }
  return targetGridFromBounds(bounds, resolution, targetCrs);
}
