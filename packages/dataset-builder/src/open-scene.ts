import { isAbsolute, resolve } from 'node:path';
import { type Crs, type CrsInput, readPointCloud, resolveCrs } from '@siran/geo-io';
import type { PointCloudDemSpec, RasterDemSpec, SceneSpec } from './dataset-spec.js';
import { gridPointCloud } from './grid-point-cloud.js';
import type { SceneSourceDetails } from './manifest-scene.js';
import { openRasterFile } from './raster-file-source.js';
import { type RasterSource, rasterSourceFromRaster } from './raster-source.js';
import { SceneInputError } from './scene-input-error.js';
import type { SceneSources } from './scene-layers.js';
import { metresPerVerticalUnit } from './vertical-units.js';

/** A scene opened from files, with the facts about its sources that go into the manifest. */
export interface OpenedScene {
  /** The sources, ready for `buildDatasetFromSources`. */
  readonly sources: SceneSources;
  /** Source details for the manifest (lidar gridding and coverage). */
  readonly details: SceneSourceDetails;
}

/**
 * Opens the files of one scene of a dataset spec.
 *
 * @param scene - The scene spec.
 * @param baseDirectory - Directory that relative paths are resolved against.
 * @returns The scene's sources and manifest details.
 * @throws SceneInputError with `missing-crs` (no CRS in the file or the spec), `no-ground-points` (a DTM
 * from a cloud without ground class), or `unreadable` (a file that cannot be read).
 * @remarks
 * Point clouds are read and gridded at once (held in memory). GeoTIFFs are read by windows on demand
 * (see {@link openRasterFile}); PNG/JPEG guides are decoded once. Paths are recorded as given in the spec.
 * @example
 * ```ts
 * const { sources } = await openScene(spec.scenes[0], '/data');
 * ```
 */
export async function openScene(scene: SceneSpec, baseDirectory: string): Promise<OpenedScene> {
  const at = (path: string) => (isAbsolute(path) ? path : resolve(baseDirectory, path));
  const details: Record<string, Record<string, unknown>> = {};
  let reference: RasterSource;
  let referenceVerticalUnit =
    scene.reference.kind === 'point-cloud' ? undefined : (scene.reference as RasterDemSpec).verticalUnit;
  if (isPointCloud(scene.reference)) {
    const gridded = await gridReference(scene.name, scene.reference, at(scene.reference.path));
    reference = gridded.source;
    details.reference = gridded.details;
    referenceVerticalUnit = 'metre';
  } else {
    reference = await openSceneRaster(
      scene.name,
      at(scene.reference.path),
      scene.reference.path,
      scene.reference.crs,
    );
  }
  const coarse =
    scene.coarse === undefined
      ? undefined
      : await openSceneRaster(scene.name, at(scene.coarse.path), scene.coarse.path, scene.coarse.crs);
  const guideCrs = scene.guide.crs === 'reference' ? reference.crs : scene.guide.crs;
  const guide = await openSceneRaster(scene.name, at(scene.guide.path), scene.guide.path, guideCrs);
  details.guide = { channels: scene.guide.channels ?? ['nir', 'red', 'green'] };
  const sources: SceneSources = {
    name: scene.name,
    reference,
    referenceBand: isPointCloud(scene.reference) ? 0 : (scene.reference.band ?? 0),
    ...(referenceVerticalUnit === undefined ? {} : { referenceVerticalUnit }),
    ...(coarse === undefined ? {} : { coarse, coarseBand: scene.coarse?.band ?? 0 }),
    ...(scene.coarse?.verticalUnit === undefined ? {} : { coarseVerticalUnit: scene.coarse.verticalUnit }),
    ...(scene.degradation === undefined ? {} : { degradation: scene.degradation }),
    guide,
    guideBands: scene.guide.bands,
    ...(scene.target === undefined ? {} : { target: scene.target }),
  };
  return { sources, details };
}

/** Whether a DEM spec names a point cloud (explicitly or by its extension). */
function isPointCloud(spec: RasterDemSpec | PointCloudDemSpec): spec is PointCloudDemSpec {
  return spec.kind === 'point-cloud' || (spec.kind === undefined && /\.la[sz]$/i.test(spec.path));
}

/** Reads and grids a lidar reference. */
async function gridReference(name: string, spec: PointCloudDemSpec, path: string) {
  const cloud = await guard(name, () => readPointCloud(path));
  const crs: Crs | null = spec.crs !== undefined ? resolveCrs(spec.crs) : cloud.crs;
  if (crs === null) {
    throw new SceneInputError(
      'missing-crs',
      `openScene: scene "${name}": ${path} has no CRS; expected one in the file or the spec`,
    );
  }
  const product = spec.product ?? 'dsm';
  const heightScale = metresPerVerticalUnit(spec.verticalUnit, crs);
  const gridded = gridPointCloud(
    { ...cloud, crs },
    {
      cellSize: spec.cellSize,
      heightScale,
      ...(spec.groundClasses === undefined ? {} : { groundClasses: spec.groundClasses }),
      ...(spec.fill === undefined ? {} : { fill: spec.fill }),
    },
  );
  const raster = product === 'dtm' ? gridded.dtm : gridded.dsm;
  if (raster === null) {
    throw new SceneInputError(
      'no-ground-points',
      `openScene: scene "${name}": ${path} has no ground points (classes ${spec.groundClasses ?? [2]}); expected some for a DTM`,
    );
  }
  const details = {
    kind: 'point-cloud',
    product,
    cellSize: spec.cellSize,
    points: cloud.count,
    heightScale,
    dsmCoverage: gridded.dsmCoverage,
    dtmCoverage: gridded.dtmCoverage,
    unfilledCells: gridded.unfilledCells,
    gapFilling: spec.fill === false ? 'none' : 'inverse-distance',
  };
  return { source: rasterSourceFromRaster(raster, spec.path), details };
}

/** Opens a raster file of a scene, reporting read failures as scene errors. */
async function openSceneRaster(name: string, path: string, description: string, crs: CrsInput | undefined) {
  return guard(name, () => openRasterFile(path, { description, ...(crs === undefined ? {} : { crs }) }));
}

/** Runs a read, turning missing-CRS errors and unreadable files into scene errors. */
async function guard<T>(name: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const problem = /crs|coordinate/i.test(message) ? 'missing-crs' : 'unreadable';
    throw new SceneInputError(problem, `openScene: scene "${name}": ${message}`, { cause: error });
  }
}
