export { type EpsgDefinition, listEpsgCodes, lookupEpsgDefinition, utmProj4 } from './epsg-definitions.js';
export { applyGeoTransform, invertGeoTransform, windowGeoTransform } from './geo-transform.js';
export { crsFromGeoKeys, type GeoKeyEntry, type GeoKeys, geoKeysFromCrs } from './geokeys.js';
export {
  type LasHeader,
  type LasVariableRecord,
  parseLasHeader,
  parseLasVariableRecords,
} from './las-header.js';
export { type PointCloud, readPointCloud } from './read-point-cloud.js';
export { readRaster, readRasterInfo } from './read-raster.js';
export { DEFAULT_READ_RASTER_OPTIONS, type ReadRasterOptions } from './read-raster-options.js';
export {
  type CrsInput,
  isGeographicCrs,
  registerEpsgDefinition,
  resolveCrs,
  sameCrs,
} from './resolve-crs.js';
export {
  DEFAULT_TARGET_GRID_FOR_CRS_OPTIONS,
  type Resolution,
  rasterBounds,
  type TargetGridForCrsOptions,
  targetGridAtResolution,
  targetGridForCrs,
  targetGridFromBounds,
  targetGridOfRaster,
} from './target-grid.js';
export type {
  Bounds,
  Crs,
  GeoTransform,
  PixelWindow,
  Raster,
  RasterDataType,
  RasterInfo,
  RasterTypedArray,
  TargetGrid,
} from './types.js';
export {
  DEFAULT_WARP_RASTER_OPTIONS,
  type KernelScaling,
  type ResamplingMethod,
  type WarpRasterOptions,
  type WarpTransformerOptions,
  warpRaster,
} from './warp-raster.js';
export { parseWorldFile, worldFileCandidates } from './world-file.js';
export { type MosaicVrtOptions, type MosaicVrtResult, writeMosaicVrt } from './write-mosaic-vrt.js';
export {
  type BandDescription,
  DEFAULT_WRITE_RASTER_OPTIONS,
  encodeRaster,
  type OverviewResampling,
  type WriteRasterLayout,
  type WriteRasterOptions,
  writeRaster,
} from './write-raster.js';
