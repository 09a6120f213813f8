import type { Crs, GeoTransform, Raster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { DEFAULT_FILL_GAPS_OPTIONS, type FillGapsOptions, fillGapsInverseDistance } from './fill-gaps.js';

/**
 * Points this close to a cell edge (in cells) count as on it: LAS coordinates are quantised (often to 1 cm), so
 * many points lie exactly on edges, and floating-point division must not scatter them over two cells.
 */
const EDGE_TOLERANCE = 1e-6;

/** The point attributes the gridding needs; geo-io's `readPointCloud` result provides them. */
export interface GriddablePointCloud {
  /** Easting of each point, CRS units (scale and offset applied). */
  readonly x: ArrayLike<number>;
  /** Northing of each point, CRS units. */
  readonly y: ArrayLike<number>;
  /** Height of each point, in the file's vertical unit. */
  readonly z: ArrayLike<number>;
  /** ASPRS classification code of each point (2 = ground). */
  readonly classification: ArrayLike<number>;
  /** CRS of the coordinates, or `null` when the file has none. */
  readonly crs: Crs | null;
}

/** Options for {@link gridPointCloud}. */
export interface GridPointCloudOptions {
  /** Cell size in CRS units (square cells). */
  readonly cellSize: number;
  /** Classes that count as ground for the DTM. */
  readonly groundClasses?: readonly number[];
  /** Classes left out of the DSM (ASPRS 7 low noise, 18 high noise). */
  readonly excludedClasses?: readonly number[];
  /** Multiplier that turns heights into metres (e.g. 0.3048 for international feet). */
  readonly heightScale?: number;
  /** How DSM and DTM gaps are filled; `false` leaves them `NaN`. */
  readonly fill?: FillGapsOptions | false;
}

/** Defaults for {@link GridPointCloudOptions} (all but the required `cellSize`). */
export const DEFAULT_GRID_POINT_CLOUD_OPTIONS: Required<Omit<GridPointCloudOptions, 'cellSize'>> = {
  groundClasses: [2],
  excludedClasses: [7, 18],
  heightScale: 1,
  fill: DEFAULT_FILL_GAPS_OPTIONS,
};

/** The outcome of {@link gridPointCloud}. */
export interface GriddedPointCloud {
  /** Digital surface model: highest return per cell, metres, one band, nodata `NaN`. */
  readonly dsm: Raster;
  /** Digital terrain model from ground points (mean per cell), or `null` when there are none. */
  readonly dtm: Raster | null;
  /** Fraction of cells that held at least one DSM point, before filling. */
  readonly dsmCoverage: number;
  /** Fraction of cells that held at least one ground point, before filling. */
  readonly dtmCoverage: number;
  /** Cells still `NaN` after filling, per product. */
  readonly unfilledCells: { readonly dsm: number; readonly dtm: number };
}

/**
 * Grids a classified point cloud into a DSM (highest return) and a DTM (ground points).
 *
 * @param cloud - Points with classification and CRS.
 * @param options - Cell size and classes; see {@link GridPointCloudOptions}.
 * @returns DSM, DTM (or `null` without ground points) and cell-coverage fractions.
 * @throws TypeError if the cloud has no CRS.
 * @throws RangeError if the cloud is empty or `cellSize` is not positive.
 * @remarks
 * The grid origin is snapped to multiples of `cellSize` (pixel-is-area, north up), so clouds of
 * neighbouring tiles grid onto one lattice. A point on a cell's west or north edge belongs to that cell. DTM cells take the mean ground height; gaps (buildings, water) are filled by
 * {@link fillGapsInverseDistance}. Coverage is measured before filling.
 * @example
 * ```ts
 * const { dsm, dtm, dtmCoverage } = gridPointCloud(cloud, { cellSize: 0.5 });
 * ```
 */
export function gridPointCloud(
  cloud: GriddablePointCloud,
  options: GridPointCloudOptions,
): GriddedPointCloud {
  const settings = { ...DEFAULT_GRID_POINT_CLOUD_OPTIONS, ...options };
  const { cellSize, heightScale } = settings;
  if (!(cellSize > 0)) throw new RangeError(`gridPointCloud: cellSize ${cellSize} must be positive`);
  if (cloud.crs === null) {
    throw new TypeError('gridPointCloud: the point cloud has no CRS; expected one from the file or the spec');
  }
  const count = cloud.x.length;
  if (count === 0) throw new RangeError('gridPointCloud: the point cloud is empty; expected points');
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i += 1) {
    minX = Math.min(minX, cloud.x[i]!);
    maxX = Math.max(maxX, cloud.x[i]!);
    minY = Math.min(minY, cloud.y[i]!);
    maxY = Math.max(maxY, cloud.y[i]!);
  }
  const originX = Math.floor(minX / cellSize + EDGE_TOLERANCE) * cellSize;
  const originY = Math.ceil(maxY / cellSize - EDGE_TOLERANCE) * cellSize;
  const width = Math.floor((maxX - originX) / cellSize) + 1;
  const height = Math.floor((originY - minY) / cellSize) + 1;
  const excluded = new Set(settings.excludedClasses);
  const ground = new Set(settings.groundClasses);
  const surface = new Float32Array(width * height).fill(Number.NaN);
  const groundSum = new Float64Array(width * height);
  const groundCount = new Uint32Array(width * height);
  for (let i = 0; i < count; i += 1) {
    const column = Math.min(
      width - 1,
      Math.max(0, Math.floor((cloud.x[i]! - originX) / cellSize + EDGE_TOLERANCE)),
    );
    const row = Math.min(
      height - 1,
      Math.max(0, Math.floor((originY - cloud.y[i]!) / cellSize + EDGE_TOLERANCE)),
    );
    const cell = row * width + column;
    const heightMetres = cloud.z[i]! * heightScale;
    const cls = cloud.classification[i]!;
    if (!excluded.has(cls) && !(surface[cell]! >= heightMetres)) surface[cell] = heightMetres;
    if (ground.has(cls)) {
      groundSum[cell] += heightMetres;
      groundCount[cell] += 1;
    }
  }
  const terrain = new Float32Array(width * height);
  let surfaceCells = 0;
  let groundCells = 0;
  for (let cell = 0; cell < width * height; cell += 1) {
    if (!Number.isNaN(surface[cell]!)) surfaceCells += 1;
    if (groundCount[cell]! > 0) {
      terrain[cell] = groundSum[cell]! / groundCount[cell]!;
      groundCells += 1;
    } else {
      terrain[cell] = Number.NaN;
    }
  }
  const transform: GeoTransform = [originX, cellSize, 0, originY, 0, -cellSize];
  const fill = (grid: Float32Array) =>
    settings.fill === false
      ? { values: grid, unfilledCount: grid.filter(Number.isNaN).length }
      : fillGapsInverseDistance(grid, width, height, settings.fill);
  const dsmFilled = fill(surface);
  const dtmFilled = groundCells > 0 ? fill(terrain) : null;
  const toRaster = (values: Float32Array): Raster => ({
    data: ndarray(values, [1, height, width]),
    transform,
    crs: cloud.crs!,
    nodata: Number.NaN,
  });
  return {
    dsm: toRaster(dsmFilled.values),
    dtm: dtmFilled === null ? null : toRaster(dtmFilled.values),
    dsmCoverage: surfaceCells / (width * height),
    dtmCoverage: groundCells / (width * height),
    unfilledCells: { dsm: dsmFilled.unfilledCount, dtm: dtmFilled?.unfilledCount ?? width * height },
  };
}
