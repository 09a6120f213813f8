import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fromUrl, GeoTIFF } from 'geotiff';
import { registerNodeDecoders } from './internal/decoders.js';
import {
  asGeoTiffSource,
  bytesSource,
  clippedSource,
  fileSource,
  type TiffSource,
} from './internal/sources.js';
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
  // The readers' own errors (RangeError, TypeError, or Error for truncated and corrupt files) already
  // name the file and the problem.
  if (error instanceof Error && error.message.startsWith('readRaster:')) return error;
  const reason = error instanceof Error ? error.message || error.name : String(error);
  return new Error(`readRaster: cannot read "${name}": ${reason}`, { cause: error });
}

/** Parses a TIFF header from `source`; closes the source if that fails. */
async function openTiff(source: TiffSource): Promise<GeoTIFF> {
  try {
    return await GeoTIFF.fromSource(asGeoTiffSource(source));
  } catch (error) {
    await source.close();
    throw error;
  }
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
 * @throws RangeError if the window or bands fall outside the file, or a read or a single strip/tile
 *   would allocate more than 2 GiB; TypeError for an unsupported format or sample type, a missing CRS or a
 *   `GDAL_NODATA` tag that is not a number; Error for unreadable files, and for truncated or corrupt
 *   GeoTIFFs: `readRaster: "<file>" is truncated or corrupt: <what>`, where `<what>` is a block past the end
 *   of the file (`strip 3 needs bytes 24614..32606 but the file has 24961 bytes`; `tile (3, 4)`, with
 *   `(band 1)` for planar files), a block that decodes short (`strip 1 decoded to 100 bytes, expected 7992`)
 *   or fails to decode (`strip 0 failed to decode (deflate: incorrect data check)`), a directory or tag value
 *   past the end of the file, or an offset table whose length does not match the number of blocks. Every
 *   message starts with `readRaster:` and names the file (`<ArrayBuffer>` for bytes).
 * @remarks
 * Missing pixels are never invented: before decoding, every strip or tile the window needs must lie inside
 * the file (offset + byte count <= file size: `fs.stat` for a path, `byteLength` for an `ArrayBuffer`, the
 * `Content-Range` total geotiff.js receives for a URL; a server that sends no size skips this check), and
 * after decoding it must hold its pixels' bytes (the last strip clipped to the image height; extra padding
 * is dropped). A window over whole blocks of a cut file still reads.
 *
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
 * @throws The errors of {@link readRaster} that do not need pixels: for a GeoTIFF, a directory or tag value
 *   past the end of the file, an inconsistent block layout or offset table, blocks over 2 GiB, or a
 *   `GDAL_NODATA` tag that is not a number. No strip or tile is read, so a file cut inside its pixels is
 *   described without error (and refused by {@link readRaster}).
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
      return await readTiff(() => openTiff(bytesSource(source)), name, null, onTiff);
    }
    const url = source instanceof URL ? source : /^https?:\/\//i.test(source) ? new URL(source) : null;
    if (url && url.protocol !== 'file:') {
      name = url.href;
      const open = async () =>
        openTiff(clippedSource((await fromUrl(url.href, { allowFullFile: false })).source));
      return await readTiff(open, name, null, onTiff);
    }
    const path = url ? fileURLToPath(url) : (source as string);
    name = path;
    const format = detectFormat(await readHead(path), name);
    if (format !== 'tiff') return onImage(new Uint8Array(await readFile(path)), name, path);
    return await readTiff(async () => openTiff(await fileSource(path)), name, path, onTiff);
  } catch (error) {
    throw describeFailure(name, error);
  }
}
