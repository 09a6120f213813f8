import type { CrsInput } from './resolve-crs.js';
import type { PixelWindow } from './types.js';

/** Options for {@link readRaster}. */
export interface ReadRasterOptions {
  /** The pixels to read; the whole raster when absent. Only the tiles/strips it touches are read. */
  readonly window?: PixelWindow;
  /** 0-based band indices to read, in output order; all bands when absent. */
  readonly bands?: readonly number[];
  /**
   * The CRS: required for PNG/JPEG with a world file (which carry none); for a GeoTIFF it
   * overrides the GeoKeys.
   */
  readonly crs?: CrsInput;
}

/** Defaults for {@link ReadRasterOptions}: whole raster, all bands, CRS from the file. */
export const DEFAULT_READ_RASTER_OPTIONS: ReadRasterOptions = {};
