import type { Crs, GeoTransform, PixelWindow, Raster } from '@siran/geo-io';
import { windowGeoTransform } from '@siran/geo-io';
import ndarray from 'ndarray';

/**
 * A raster that can be read by windows: a file on disk, an in-memory raster, or a generated scene.
 *
 * @remarks
 * The dataset builder only ever asks for windows, so a source larger than memory is processed piecewise.
 */
export interface RasterSource {
  /** Where the pixels come from (a path, or a short description), recorded in the manifest. */
  readonly description: string;
  /** Number of columns. */
  readonly width: number;
  /** Number of rows. */
  readonly height: number;
  /** Number of bands. */
  readonly bandCount: number;
  /** Geotransform of the whole raster. */
  readonly transform: GeoTransform;
  /** Coordinate reference system. */
  readonly crs: Crs;
  /** Nodata value shared by all bands, or `null`. */
  readonly nodata: number | null;
  /**
   * Reads a window of some bands.
   *
   * @param window - Pixels to read; inside the raster.
   * @param bands - 0-based band indices, in output order.
   * @returns The window as a raster (`[bands, rows, cols]`) whose transform is the window's.
   */
  read(window: PixelWindow, bands: readonly number[]): Promise<Raster>;
}

/**
 * Wraps an in-memory raster as a {@link RasterSource}.
 *
 * @param raster - The raster; its values are copied on each read, never modified.
 * @param description - Recorded in the manifest as the source's origin.
 * @returns A source reading windows of `raster`.
 * @throws RangeError (from `read`) if a window or band falls outside the raster.
 * @example
 * ```ts
 * const source = rasterSourceFromRaster(dem, 'dem computed in memory');
 * const tile = await source.read({ x: 0, y: 0, width: 64, height: 64 }, [0]);
 * ```
 */
export function rasterSourceFromRaster(raster: Raster, description = 'in-memory raster'): RasterSource {
  const [bandCount, height, width] = raster.data.shape as [number, number, number];
  return {
    description,
    width,
    height,
    bandCount,
    transform: raster.transform,
    crs: raster.crs,
    nodata: raster.nodata,
    read: async (window, bands) => {
      checkWindow('rasterSourceFromRaster', window, width, height, bands, bandCount);
      const values = new Float32Array(bands.length * window.width * window.height);
      let index = 0;
      for (const band of bands) {
        for (let row = window.y; row < window.y + window.height; row += 1) {
          for (let column = window.x; column < window.x + window.width; column += 1) {
            values[index++] = raster.data.get(band, row, column);
          }
        }
      }
      return {
        data: ndarray(values, [bands.length, window.height, window.width]),
        transform: windowGeoTransform(raster.transform, window.x, window.y),
        crs: raster.crs,
        nodata: raster.nodata,
      };
    },
  };
}

/**
 * Throws when a window or a band list does not fit a raster.
 *
 * @param caller - Name used in the message.
 * @param window - The requested window.
 * @param width - Raster width.
 * @param height - Raster height.
 * @param bands - Requested bands.
 * @param bandCount - Bands available.
 * @throws RangeError naming `caller` when the window or a band is out of range.
 */
export function checkWindow(
  caller: string,
  window: PixelWindow,
  width: number,
  height: number,
  bands: readonly number[],
  bandCount: number,
): void {
  const inside =
    window.x >= 0 &&
    window.y >= 0 &&
    window.width > 0 &&
    window.height > 0 &&
    window.x + window.width <= width &&
    window.y + window.height <= height;
  if (!inside) {
    throw new RangeError(
      `${caller}: window ${JSON.stringify(window)} is outside the ${width}x${height} raster`,
    );
  }
  for (const band of bands) {
    if (!Number.isInteger(band) || band < 0 || band >= bandCount) {
      throw new RangeError(`${caller}: band ${band} does not exist; the raster has ${bandCount} bands`);
    }
  }
}
