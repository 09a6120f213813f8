export { type BuildDatasetFromSpecOptions, buildDataset } from './build-dataset.js';
export { buildDatasetFromSources, type SkippedScene } from './build-from-sources.js';
export {
  type BuildDatasetOptions,
  DEFAULT_BUILD_DATASET_OPTIONS,
  type ProgressCallback,
} from './build-options.js';
export {
  type DatasetSpec,
  type GuideSpec,
  type PointCloudDemSpec,
  type RasterDemSpec,
  readDatasetSpec,
  type SceneSpec,
} from './dataset-spec.js';
export {
  DEFAULT_DEGRADATION_OPTIONS,
  type DegradationOptions,
  type DegradationWindow,
  degradeDem,
} from './degradation.js';
export { buildDemoDataset, DEMO_DATASET_SPEC_PATH } from './demo-dataset.js';
export { applyDihedralTransform, type DihedralTransform } from './dihedral-transform.js';
export {
  DEFAULT_FILL_GAPS_OPTIONS,
  type FillGapsOptions,
  type FillGapsResult,
  fillGapsInverseDistance,
} from './fill-gaps.js';
export {
  DEFAULT_GRID_POINT_CLOUD_OPTIONS,
  type GriddablePointCloud,
  type GriddedPointCloud,
  type GridPointCloudOptions,
  gridPointCloud,
} from './grid-point-cloud.js';
export { createRandom } from './internal/random.js';
export {
  type DatasetBatch,
  DEFAULT_LOAD_DATASET_OPTIONS,
  type LoadDatasetOptions,
  loadDataset,
  type PatchDataset,
} from './load-dataset.js';
export {
  type DatasetManifest,
  LAYER_FILES,
  MANIFEST_FORMAT,
  type ManifestCrs,
  type ManifestScene,
  type ManifestSource,
  type ManifestSplit,
  readManifest,
} from './manifest.js';
export { describeCrs, describeScene, type SceneSourceDetails } from './manifest-scene.js';
export { readNpy, writeNpy } from './npy-format.js';
export { encodeNpyHeader, type NpyHeader, parseNpyHeader } from './npy-header.js';
export { NpyRecordReader, NpyRecordWriter } from './npy-records.js';
export { type OpenedScene, openScene } from './open-scene.js';
export {
  cutPatch,
  DEFAULT_PATCH_OPTIONS,
  type PatchArrays,
  type PatchOptions,
  type PatchRejection,
} from './patch-options.js';
export { type OpenRasterFileOptions, openRasterFile } from './raster-file-source.js';
export { checkWindow, type RasterSource, rasterSourceFromRaster } from './raster-source.js';
export { readOnGrid } from './read-on-grid.js';
export {
  DEFAULT_TARGET_GRID_OPTIONS,
  sceneTargetGrid,
  sourceBoundsIn,
  sourceResolutionIn,
  type TargetGridOptions,
} from './scene-grid.js';
export { SceneInputError, type SceneProblem } from './scene-input-error.js';
export {
  planScene,
  readSceneLayers,
  type SceneDegradation,
  type SceneLayers,
  type ScenePlan,
  type SceneSources,
} from './scene-layers.js';
export {
  assignSplitBlocks,
  DEFAULT_SPATIAL_SPLIT_OPTIONS,
  patchOriginsInBlock,
  SPLIT_NAMES,
  type SpatialSplitOptions,
  type SplitBlock,
  type SplitName,
} from './spatial-split.js';
export { RunningStatistics, type ValueStatistics } from './statistics.js';
export {
  createSyntheticScene,
  DEFAULT_SYNTHETIC_SCENE_OPTIONS,
  type SyntheticSceneOptions,
} from './synthetic-scene.js';
export { METRES_PER_VERTICAL_UNIT, metresPerVerticalUnit, type VerticalUnit } from './vertical-units.js';
