import {
  type Bounds,
  type CrsInput,
  rasterBounds,
  resolveCrs,
  sameCrs,
  type TargetGrid,
  targetGridForCrs,
} from '@siran/geo-io';
import { EQUIVALENCE_TOLERANCE_PIXELS, equivalentCrs } from './internal/crs-equivalence.js';
import type { RasterSource } from './raster-source.js';
import { SceneInputError } from './scene-input-error.js';

/** Where the layers of a scene are aligned. */
export interface TargetGridOptions {
  /** Pixel size in the target CRS's units; the guide's pixel size when absent. */
  readonly resolution?: number;
  /** CRS of the target grid; the guide's CRS when absent. */
  readonly crs?: CrsInput;
}

/** Defaults for {@link TargetGridOptions}: the guide's grid. */
export const DEFAULT_TARGET_GRID_OPTIONS: TargetGridOptions = {};

/**
 * The bounds of a source in another CRS (edges sampled, as geo-io's `targetGridForCrs`); its own bounds
 * when both CRSs agree within 0.001 pixel.
 *
 * @param source - The source grid.
 * @param crs - The CRS to express the bounds in.
 * @returns Axis-aligned bounds in `crs`.
 */
export function sourceBoundsIn(
  source: Pick<RasterSource, 'width' | 'height' | 'transform' | 'crs'>,
  crs: CrsInput,
): Bounds {
  const resolved = resolveCrs(crs);
  const grid: TargetGrid = {
    width: source.width,
    height: source.height,
    transform: source.transform,
    crs: source.crs,
  };
  const own = rasterBounds(grid);
  const tolerance = EQUIVALENCE_TOLERANCE_PIXELS * Math.abs(source.transform[1]);
  return equivalentCrs(source.crs, resolved, own, tolerance)
    ? own
    : rasterBounds(targetGridForCrs(grid, resolved));
}

/**
 * The target grid of a scene: the guide's grid (or a chosen CRS/resolution) cut to the area that every
 * layer covers.
 *
 * @param name - Scene name, for messages.
 * @param guide - The guide image.
 * @param dems - The reference DEM and, if any, the real coarse DEM.
 * @param options - Target CRS and resolution; see {@link TargetGridOptions}.
 * @returns A north-up grid whose pixels all lie inside every layer.
 * @throws SceneInputError (`no-overlap`) if the layers share no whole target pixel.
 * @remarks
 * On the guide's own grid the cut follows the guide's pixel lattice, so the guide is copied without
 * resampling. With another CRS or resolution the grid is snapped to multiples of the resolution.
 * @example
 * ```ts
 * const grid = sceneTargetGrid('site', guideSource, [referenceSource], { resolution: 0.5 });
 * ```
 */
export function sceneTargetGrid(
  name: string,
  guide: RasterSource,
  dems: readonly RasterSource[],
  options: TargetGridOptions = DEFAULT_TARGET_GRID_OPTIONS,
): TargetGrid {
  const crs = resolveCrs(options.crs ?? guide.crs);
  const guideBounds = sourceBoundsIn(guide, crs);
  let box = guideBounds;
  for (const dem of dems) {
    const other = sourceBoundsIn(dem, crs);
    box = {
      minX: Math.max(box.minX, other.minX),
      minY: Math.max(box.minY, other.minY),
      maxX: Math.min(box.maxX, other.maxX),
      maxY: Math.min(box.maxY, other.maxY),
    };
  }
  const onGuideGrid =
    sameCrs(guide.crs, crs) &&
    guide.transform[2] === 0 &&
    guide.transform[4] === 0 &&
    (options.resolution === undefined || Math.abs(options.resolution / guide.transform[1] - 1) < 1e-9);
  const resolution =
    options.resolution ?? (onGuideGrid ? guide.transform[1] : sourceResolutionIn(guide, crs));
  const anchorX = onGuideGrid ? guide.transform[0] : 0;
  const anchorY = onGuideGrid ? guide.transform[3] : 0;
  const resolutionY = onGuideGrid ? -guide.transform[5] : resolution;
  const tolerance = 1e-6;
  const firstColumn = Math.ceil((box.minX - anchorX) / resolution - tolerance);
  const lastColumn = Math.floor((box.maxX - anchorX) / resolution + tolerance);
  const firstRow = Math.ceil((anchorY - box.maxY) / resolutionY - tolerance);
  const lastRow = Math.floor((anchorY - box.minY) / resolutionY + tolerance);
  const width = lastColumn - firstColumn;
  const height = lastRow - firstRow;
  if (!(width >= 1 && height >= 1)) {
    throw new SceneInputError(
      'no-overlap',
      `sceneTargetGrid: scene "${name}": the guide and the DEMs share no area; expected overlapping extents`,
    );
  }
  return {
    width,
    height,
    transform: [
      anchorX + firstColumn * resolution,
      resolution,
      0,
      anchorY - firstRow * resolutionY,
      0,
      -resolutionY,
    ],
    crs,
  };
}

/**
 * The pixel size of a source once warped into another CRS.
 *
 * @param source - The source grid.
 * @param crs - The other CRS.
 * @returns Square pixel size in `crs` units keeping the number of pixels along the diagonal.
 */
export function sourceResolutionIn(
  source: Pick<RasterSource, 'width' | 'height' | 'transform' | 'crs'>,
  crs: CrsInput,
): number {
  const grid: TargetGrid = {
    width: source.width,
    height: source.height,
    transform: source.transform,
    crs: source.crs,
  };
  return targetGridForCrs(grid, crs).transform[1];
}
