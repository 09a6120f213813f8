import { type CrsInput, type Raster, readRaster, readRasterInfo } from '@siran/geo-io';
import { checkWindow, type RasterSource, rasterSourceFromRaster } from './raster-source.js';

/** Options for {@link openRasterFile}. */
export interface OpenRasterFileOptions {
  /** CRS override; required for PNG/JPEG with a world file. */
  readonly crs?: CrsInput;
  /** Recorded in the manifest as the source; the path by default. */
  readonly description?: string;
}

/**
 * Opens a raster file as a {@link RasterSource}.
 *
 * @param path - A GeoTIFF (a path or an http(s) URL), or a PNG/JPEG file with a world file.
 * @param options - CRS override and description.
 * @returns A source; GeoTIFF windows are read from the file on demand (only the tiles or strips they touch),
 * PNG/JPEG images are decoded once and windows are cut from memory.
 * @throws The errors of geo-io's `readRasterInfo` and `readRaster` (a missing CRS is a `TypeError`).
 * @example
 * ```ts
 * const dem = await openRasterFile('srtm.tif');
 * const tile = await dem.read({ x: 0, y: 0, width: 256, height: 256 }, [0]);
 * ```
 */
export async function openRasterFile(
  path: string,
  options: OpenRasterFileOptions = {},
): Promise<RasterSource> {
  const crsOption = options.crs === undefined ? {} : { crs: options.crs };
  const description = options.description ?? path;
  // A URL is a GeoTIFF read by range requests; a local PNG/JPEG is decoded once.
  if (!/^https?:\/\//i.test(path) && !/\.tiff?$/i.test(path)) {
    const raster: Raster = await readRaster(path, crsOption);
    return rasterSourceFromRaster(raster, description);
  }
  const info = await readRasterInfo(path, crsOption);
  return {
    description,
    width: info.width,
    height: info.height,
    bandCount: info.bandCount,
    transform: info.transform,
    crs: info.crs,
    nodata: info.nodata,
    read: async (window, bands) => {
      checkWindow('openRasterFile', window, info.width, info.height, bands, info.bandCount);
      return readRaster(path, { window, bands, ...crsOption });
    },
  };
}
