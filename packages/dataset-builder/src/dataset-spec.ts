import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CrsInput } from '@siran/geo-io';
import type { FillGapsOptions } from './fill-gaps.js';
import type { PatchOptions } from './patch-options.js';
import type { TargetGridOptions } from './scene-grid.js';
import type { SceneDegradation } from './scene-layers.js';
import type { SpatialSplitOptions } from './spatial-split.js';
import type { VerticalUnit } from './vertical-units.js';

/** A DEM stored as a raster file (GeoTIFF, or PNG/JPEG with a world file). */
export interface RasterDemSpec {
  /** `'raster'`; the default unless the path ends in `.las`/`.laz`. */
  readonly kind?: 'raster';
  /** File path, relative to the spec's base directory. */
  readonly path: string;
  /** Band holding the heights (0-based). */
  readonly band?: number;
  /** CRS override (required for PNG/JPEG). */
  readonly crs?: CrsInput;
  /** Unit of the heights; read from the CRS when absent. */
  readonly verticalUnit?: VerticalUnit;
}

/** A DEM gridded here from a LAS/LAZ point cloud. */
export interface PointCloudDemSpec {
  /** `'point-cloud'`; the default when the path ends in `.las`/`.laz`. */
  readonly kind?: 'point-cloud';
  /** File path, relative to the spec's base directory. */
  readonly path: string;
  /** `'dsm'` (highest return per cell) or `'dtm'` (ground points, gaps filled). */
  readonly product?: 'dsm' | 'dtm';
  /** Cell size in the cloud's horizontal CRS units. */
  readonly cellSize: number;
  /** CRS override, for files without one. */
  readonly crs?: CrsInput;
  /** Unit of the heights; read from the CRS when absent (feet for a CRS in feet). */
  readonly verticalUnit?: VerticalUnit;
  /** Ground classes for the DTM (ASPRS; default `[2]`). */
  readonly groundClasses?: readonly number[];
  /** Gap filling of the gridded products, or `false`. */
  readonly fill?: FillGapsOptions | false;
}

/** The guide image and its bands. */
export interface GuideSpec {
  /** File path (GeoTIFF, or PNG/JPEG with a world file), relative to the spec's base directory. */
  readonly path: string;
  /** Bands (0-based) for the NIR, red and green channels, in that order. */
  readonly bands: readonly [number, number, number];
  /**
   * CRS (required for PNG/JPEG, which carry none); `'reference'` takes the reference DEM's CRS (e.g. an
   * orthophoto with a world file next to a LAS file that carries the CRS).
   */
  readonly crs?: CrsInput | 'reference';
  /** Names of the selected bands, recorded in the manifest (e.g. `['red', 'green', 'blue']` for RGB imagery). */
  readonly channels?: readonly [string, string, string];
}

/** One scene of a dataset spec. */
export interface SceneSpec {
  /** Unique scene name. */
  readonly name: string;
  /** High-resolution reference DEM. */
  readonly reference: RasterDemSpec | PointCloudDemSpec;
  /** Real coarse DEM; give this or `degradation`. */
  readonly coarse?: RasterDemSpec;
  /** This scene's target grid (CRS, resolution), over the dataset's `target`. */
  readonly target?: TargetGridOptions;
  /** Synthetic degradation of the reference; used when `coarse` is absent. */
  readonly degradation?: SceneDegradation;
  /** Guide image. */
  readonly guide: GuideSpec;
}

/** A whole dataset: scenes plus the options of `buildDataset` that belong with the data (JSON-friendly). */
export interface DatasetSpec {
  /** The scenes. */
  readonly scenes: readonly SceneSpec[];
  /** Target grid; the guide's grid by default. */
  readonly target?: TargetGridOptions;
  /** Patch cutting. */
  readonly patch?: PatchOptions;
  /** Spatially disjoint split. */
  readonly split?: SpatialSplitOptions;
  /** Names of the guide channels recorded in the manifest. */
  readonly guideChannels?: readonly [string, string, string];
}

/**
 * Reads a dataset spec from a JSON file.
 *
 * @param path - The JSON file.
 * @returns The spec and the directory its relative paths are resolved against (the file's directory).
 * @throws TypeError if the JSON has no `scenes` array.
 * @example
 * ```ts
 * const { spec, baseDirectory } = await readDatasetSpec('demo/demo-dataset.json');
 * await buildDataset(spec, 'out/demo', { baseDirectory });
 * ```
 */
export async function readDatasetSpec(path: string): Promise<{ spec: DatasetSpec; baseDirectory: string }> {
  const spec = JSON.parse(await readFile(path, 'utf8')) as DatasetSpec;
  if (!Array.isArray(spec.scenes)) {
    throw new TypeError(`readDatasetSpec: ${path} has no "scenes" array; expected a dataset spec`);
  }
  return { spec, baseDirectory: dirname(resolve(path)) };
}
