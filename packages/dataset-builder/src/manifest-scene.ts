import type { Crs } from '@siran/geo-io';
import { DEFAULT_DEGRADATION_OPTIONS } from './degradation.js';
import type { ManifestCrs, ManifestScene, ManifestSource } from './manifest.js';
import type { RasterSource } from './raster-source.js';
import type { ScenePlan, SceneSources } from './scene-layers.js';

/**
 * Extra facts about a scene's sources recorded in the manifest (e.g. lidar gridding settings).
 */
export interface SceneSourceDetails {
  readonly reference?: Readonly<Record<string, unknown>>;
  readonly coarse?: Readonly<Record<string, unknown>>;
  readonly guide?: Readonly<Record<string, unknown>>;
}

/**
 * The manifest entry of a CRS.
 *
 * @param crs - The CRS.
 * @returns Its EPSG code, name, proj4 string and WKT.
 */
export function describeCrs(crs: Crs): ManifestCrs {
  return { epsg: crs.epsg, name: crs.name, proj4: crs.proj4, wkt: crs.wkt };
}

/** The manifest entry of a source. */
function describeSource(
  source: RasterSource,
  bands: readonly number[],
  metresPerUnit?: number,
  details?: Readonly<Record<string, unknown>>,
): ManifestSource {
  return {
    source: source.description,
    crs: describeCrs(source.crs),
    bands,
    ...(metresPerUnit === undefined ? {} : { metresPerUnit }),
    ...(details === undefined ? {} : { details }),
  };
}

/**
 * The manifest entry of a processed scene.
 *
 * @param index - Scene index.
 * @param scene - Its sources.
 * @param plan - Its plan.
 * @param counts - Patches kept and rejected.
 * @param details - Source details.
 * @returns The entry.
 */
export function describeScene(
  index: number,
  scene: SceneSources,
  plan: ScenePlan,
  counts: ManifestScene['counts'],
  details: SceneSourceDetails | undefined,
): ManifestScene {
  const degradation =
    plan.degradation === null
      ? null
      : {
          ...DEFAULT_DEGRADATION_OPTIONS,
          ...plan.degradation,
          coarseCellSize: plan.degradation.blockSize * plan.grid.transform[1],
        };
  return {
    index,
    name: scene.name,
    sources: {
      reference: describeSource(
        scene.reference,
        [scene.referenceBand ?? 0],
        plan.verticalScale.reference,
        details?.reference,
      ),
      coarse:
        scene.coarse === undefined
          ? null
          : describeSource(scene.coarse, [scene.coarseBand ?? 0], plan.verticalScale.coarse, details?.coarse),
      guide: describeSource(scene.guide, scene.guideBands, undefined, details?.guide),
    },
    grid: {
      width: plan.grid.width,
      height: plan.grid.height,
      transform: plan.grid.transform,
      crs: describeCrs(plan.grid.crs as Crs),
    },
    resampling: { ...plan.resampling, coarse: 'cubic' },
    degradation,
    counts,
  };
}
