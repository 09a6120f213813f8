import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fromArrayBuffer, fromFile, fromUrl, type GeoTIFF } from 'geotiff';
import { registerNodeDecoders } from './internal/decoders.js';
import { dataTypeOf } from './raster-data-type.js';
import { readGeoTiff, readGeoTiffInfo } from './read-geotiff.js';
import { DEFAULT_READ_RASTER_OPTIONS, type ReadRasterOptions } from './read-raster-options.js';
import { readWorldFileImage } from './read-world-file-image.js';
import type { Raster, RasterInfo } from './types.js';

type Format = 'tiff' | 'png' | 'jpeg';

function detectFormat(head: Uint8Array, name: string): Format {
  const tiff =
    (head[0] === 0x49 && head[1] === 0x49 && (head[2] === 42 || head[2] === 43) && head[3] === 0) ||
    (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && (head[3] === 42 || head[3] === 43));
  if (tiff) return 'tiff';
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  throw new TypeError(`readRaster: "${name}" is not a TIFF, PNG or JPEG file (unrecognised first bytes)`);
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(8);
    await handle.read(head, 0, 8, 0);
    return head;
  } finally {
    await handle.close();
  }
}

function describeFailure(name: string, error: unknown): Error {
  if ((error instanceof RangeError || error instanceof TypeError) && error.message.startsWith('readRaster:'))
    return error;
  const reason = error instanceof Error ? error.message || error.name : String(error);
  return new Error(`readRaster: cannot read "${name}": ${reason}`, { cause: error });
}

async function readTiff<T>(
  open: () => Promise<GeoTIFF>,
  name: string,
  path: string | null,
  read: (tiff: GeoTIFF, name: string, path: string | null) => Promise<T>,
): Promise<T> {
  const tiff = await open();
  try {
    return await read(tiff, name, path);
  } finally {
    await tiff.close();
  }
}

/**
 * Reads a georeferenced raster: a GeoTIFF (striped, tiled or Cloud Optimized; 8/16/32-bit
 * integers, 32/64-bit floats; every compression geotiff.js decodes) or a PNG/JPEG with a world file.
 *
 * @param source - A file path, a `file:`/`http(s):` URL (HTTP range requests), or the file's bytes.
 * @param options - `window` (pixels), `bands` (0-based), `crs` (required for PNG/JPEG); see {@link ReadRasterOptions}.
 * @returns The raster, `data` shaped `[bands, rows, cols]` in the file's element type.
 * @throws RangeError if the window or bands fall outside the file; TypeError for an unsupported
 *   format or sample type or a missing CRS; Error (message naming the file) for unreadable,
 *   truncated or corrupt files.
 * @remarks
 * GeoTIFF reads are lazy: a window reads only the tiles or strips it touches, so files larger than
 * memory can be read piecewise. Pixel-is-point files are shifted half a pixel so that the transform
 * describes pixel corners, as GDAL reports them.
 * @example
 * ```ts
 * const dem = await readRaster('dem.tif', { window: { x: 0, y: 0, width: 256, height: 256 } });
 * dem.data.shape; // [1, 256, 256]
 * dem.transform;  // [originX, pixelWidth, 0, originY, 0, -pixelHeight]
 * ```
 */
export async function readRaster(
  source: string | URL | ArrayBuffer,
  options: ReadRasterOptions = DEFAULT_READ_RASTER_OPTIONS,
): Promise<Raster> {
  return openRaster(
    source,
    (tiff, name, path) => readGeoTiff(tiff, name, path, options),
    (bytes, name, path) => readWorldFileImage(bytes, name, path, options),
  );
}

/**
 * Reads what a raster is without reading its pixels (GeoTIFF) or while decoding them once (PNG/JPEG).
 *
 * @param source - A file path, a `file:`/`http(s):` URL, or the file's bytes, as for {@link readRaster}.
 * @param options - `crs` overrides or supplies the CRS (required for PNG/JPEG).
 * @returns Size, band count, element type, transform, CRS and nodata of the whole raster.
 * @throws The errors of {@link readRaster}.
 * @example
 * ```ts
 * const info = await readRasterInfo('guide.tif');
 * console.log(info.width, info.height, info.bandCount, info.transform);
 * ```
 */
export async function readRasterInfo(
  source: string | URL | ArrayBuffer,
  options: Pick<ReadRasterOptions, 'crs'> = {},
): Promise<RasterInfo> {
  return openRaster(
    source,
    (tiff, name, path) => readGeoTiffInfo(tiff, name, path, options),
    (bytes, name, path) => {
      const raster = readWorldFileImage(bytes, name, path, options);
      const [bandCount, height, width] = raster.data.shape;
      const dataType = dataTypeOf(raster.data.data);
      return {
        width,
        height,
        bandCount,
        dataType,
        transform: raster.transform,
        crs: raster.crs,
        nodata: raster.nodata,
        metadata: {},
      };
    },
  );
}

/** Opens a GeoTIFF (lazily) or decodes a PNG/JPEG and hands it to the matching reader. */
async function openRaster<T>(
  source: string | URL | ArrayBuffer,
  onTiff: (tiff: GeoTIFF, name: string, path: string | null) => Promise<T>,
  onImage: (bytes: Uint8Array, name: string, path: string | null) => T,
): Promise<T> {
  let name = '<ArrayBuffer>';
  registerNodeDecoders();
  try {
    if (source instanceof ArrayBuffer) {
      const bytes = new Uint8Array(source);
      const format = detectFormat(bytes.subarray(0, 8), name);
      if (format !== 'tiff') return onImage(bytes, name, null);
      return await readTiff(() => fromArrayBuffer(source), name, null, onTiff);
    }
    const url = source instanceof URL ? source : /^https?:\/\//i.test(source) ? new URL(source) : null;
    if (url && url.protocol !== 'file:') {
      name = url.href;
      return await readTiff(() => fromUrl(url.href, { allowFullFile: false }), name, null, onTiff);
    }
    const path = url ? fileURLToPath(url) : (source as string);
    name = path;
    const format = detectFormat(await readHead(path), name);
    if (format !== 'tiff') return onImage(new Uint8Array(await readFile(path)), name, path);
    return await readTiff(() => fromFile(path), name, path, onTiff);
  } catch (error) {
    throw describeFailure(name, error);
  }
}
