import {
  applyGeoTransform,
  invertGeoTransform,
  type ResamplingMethod,
  rasterBounds,
  resolveCrs,
  type TargetGrid,
  targetGridForCrs,
  warpRaster,
} from '@siran/geo-io';
import { EQUIVALENCE_TOLERANCE_PIXELS, equivalentCrs } from './internal/crs-equivalence.js';
import type { RasterSource } from './raster-source.js';

/** Source pixels read beyond the target's footprint so that cubic kernels have their taps. */
const READ_MARGIN = 3;

/**
 * Reads bands of a source onto a target grid, as float32 with `NaN` for missing pixels.
 *
 * @param source - The source raster.
 * @param bands - 0-based bands to read, in output order.
 * @param grid - The target grid (usually one window of a scene).
 * @param resampling - geo-io resampling kernel used when the grids differ.
 * @param scale - Factor applied to every value (e.g. feet to metres).
 * @returns Band-sequential values `[bands, grid.height, grid.width]`.
 * @remarks
 * When the target grid is a pixel-aligned window of the source (same CRS, or CRSs whose coordinates agree
 * within 0.001 target pixel over the grid, and the same pixel size), the
 * pixels are copied without resampling. Otherwise only the source pixels under the target's footprint
 * (plus a margin of 3 pixels, or as far as a kernel widened for downsampling reaches) are read, then warped with
 * geo-io's `warpRaster` (gdalwarp's defaults). Source nodata becomes `NaN`.
 * @example
 * ```ts
 * const heights = await readOnGrid(demSource, [0], windowGrid, 'cubic');
 * ```
 */
export async function readOnGrid(
  source: RasterSource,
  bands: readonly number[],
  grid: TargetGrid,
  resampling: ResamplingMethod,
  scale = 1,
): Promise<Float32Array> {
  const size = grid.width * grid.height;
  const output = new Float32Array(bands.length * size).fill(Number.NaN);
  const gridCrs = resolveCrs(grid.crs);
  const tolerance = EQUIVALENCE_TOLERANCE_PIXELS * Math.abs(grid.transform[1]);
  const same = equivalentCrs(gridCrs, source.crs, rasterBounds(grid), tolerance);
  const aligned = same ? alignedWindow(source, grid) : null;
  if (aligned !== null) {
    const raster = await source.read(aligned, bands);
    const values = raster.data.data;
    const nodata = source.nodata;
    for (let i = 0; i < output.length; i += 1) {
      const value = values[i]!;
      output[i] = value === nodata ? Number.NaN : value * scale;
    }
    return output;
  }
  const footprint = footprintWindow(source, grid, same);
  if (footprint === null) return output;
  const raster = await source.read(footprint, bands);
  const warped = warpRaster(same ? { ...raster, crs: gridCrs } : raster, grid, {
    resampling,
    nodata: Number.NaN,
    dataType: 'float32',
  });
  const values = warped.data.data;
  for (let i = 0; i < output.length; i += 1) output[i] = values[i]! * scale;
  return output;
}

/** The source window equal to `grid` when `grid` lies on the source's pixel lattice, else `null`. */
function alignedWindow(source: RasterSource, grid: TargetGrid) {
  const [sx0, spw, srr, sy0, scr, sph] = source.transform;
  const [gx0, gpw, grr, gy0, gcr, gph] = grid.transform;
  if (srr !== 0 || scr !== 0 || grr !== 0 || gcr !== 0) return null;
  if (Math.abs(gpw / spw - 1) > 1e-9 || Math.abs(gph / sph - 1) > 1e-9) return null;
  const x = (gx0 - sx0) / spw;
  const y = (gy0 - sy0) / sph;
  if (Math.abs(x - Math.round(x)) > 1e-6 || Math.abs(y - Math.round(y)) > 1e-6) return null;
  const window = { x: Math.round(x), y: Math.round(y), width: grid.width, height: grid.height };
  const inside =
    window.x >= 0 &&
    window.y >= 0 &&
    window.x + window.width <= source.width &&
    window.y + window.height <= source.height;
  return inside ? window : null;
}

/** The source pixels under the grid's footprint plus a margin, clipped; `null` when they miss the source. */
function footprintWindow(source: RasterSource, grid: TargetGrid, same: boolean) {
  const bounds = rasterBounds(same ? grid : targetGridForCrs(grid, source.crs));
  const inverse = invertGeoTransform(source.transform);
  const corners = [
    applyGeoTransform(inverse, bounds.minX, bounds.minY),
    applyGeoTransform(inverse, bounds.minX, bounds.maxY),
    applyGeoTransform(inverse, bounds.maxX, bounds.minY),
    applyGeoTransform(inverse, bounds.maxX, bounds.maxY),
  ];
  const columns = corners.map((corner) => corner[0]);
  const rows = corners.map((corner) => corner[1]);
  // Downsampling widens bilinear and cubic kernels by the scale (as gdalwarp does): read as far as they reach.
  const scale = Math.max(
    1,
    (Math.max(...columns) - Math.min(...columns)) / grid.width,
    (Math.max(...rows) - Math.min(...rows)) / grid.height,
  );
  const margin = Math.max(READ_MARGIN, Math.ceil(2 * scale) + 1);
  const x0 = Math.max(0, Math.floor(Math.min(...columns)) - margin);
  const y0 = Math.max(0, Math.floor(Math.min(...rows)) - margin);
  const x1 = Math.min(source.width, Math.ceil(Math.max(...columns)) + margin);
  const y1 = Math.min(source.height, Math.ceil(Math.max(...rows)) + margin);
  if (!(x1 > x0 && y1 > y0)) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
