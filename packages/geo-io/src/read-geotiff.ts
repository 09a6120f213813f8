import { existsSync, readFileSync } from 'node:fs';
import type { GeoTIFF, GeoTIFFImage } from 'geotiff';
import ndarray from 'ndarray';
import { windowGeoTransform } from './geo-transform.js';
import { crsFromGeoKeys } from './geokeys.js';
import { type BlockReadContext, readBlocksInto, readRastersInto } from './internal/block-reader.js';
import { parseGdalMetadata } from './internal/gdal-metadata.js';
import { tiffFileSize } from './internal/sources.js';
import {
  checkLayout,
  MAX_READ_BYTES,
  readDirectory,
  readNoData,
  type TiffLayout,
} from './internal/tiff-checks.js';
import { createTypedArray, dataTypeFromTiff } from './raster-data-type.js';
import type { ReadRasterOptions } from './read-raster-options.js';
import { resolveCrs } from './resolve-crs.js';
import type { GeoTransform, PixelWindow, Raster, RasterDataType, RasterInfo } from './types.js';
import { parseWorldFile, worldFileCandidates } from './world-file.js';

export { MAX_READ_BYTES };

const TAG_MODEL_PIXEL_SCALE = 33550;
const TAG_MODEL_TIEPOINT = 33922;
const TAG_MODEL_TRANSFORMATION = 34264;

async function tagNumbers(image: GeoTIFFImage, tag: number): Promise<number[] | null> {
  const directory = image.getFileDirectory();
  if (!directory.hasTag(tag)) return null;
  const value = await directory.loadValue(tag);
  return value === undefined || value === null ? null : Array.from(value as ArrayLike<number>, Number);
}

/** The geotransform of a TIFF image from its model tags (or a `.tfw` next to it), as GDAL computes it. */
async function readGeoTransform(
  image: GeoTIFFImage,
  name: string,
  path: string | null,
): Promise<GeoTransform> {
  const matrix = await tagNumbers(image, TAG_MODEL_TRANSFORMATION);
  let transform: GeoTransform | null = null;
  if (matrix && matrix.length >= 8) {
    transform = [matrix[3], matrix[0], matrix[1], matrix[7], matrix[4], matrix[5]];
  } else {
    const tiepoint = await tagNumbers(image, TAG_MODEL_TIEPOINT);
    const scale = await tagNumbers(image, TAG_MODEL_PIXEL_SCALE);
    if (tiepoint && tiepoint.length >= 6 && scale && scale.length >= 2) {
      const [column, row, , x, y] = tiepoint;
      transform = [x - column * scale[0], scale[0], 0, y + row * scale[1], 0, -scale[1]];
    }
  }
  if (transform === null && path !== null) {
    const worldFile = worldFileCandidates(path).find((candidate) => existsSync(candidate));
    if (worldFile) return parseWorldFile(readFileSync(worldFile, 'utf8'), worldFile);
  }
  if (transform === null) return [0, 1, 0, 0, 0, 1];
  const keys = image.getGeoKeys() ?? {};
  if (keys['GTRasterTypeGeoKey'] === 2) {
    // PixelIsPoint: the tie point is a pixel centre; GDAL moves the origin to the outer corner.
    const [originX, a, b, originY, d, e] = transform;
    transform = [originX - 0.5 * a - 0.5 * b, a, b, originY - 0.5 * d - 0.5 * e, d, e];
  }
  for (const value of transform) {
    if (!Number.isFinite(value)) throw new TypeError(`readRaster: "${name}" has a non-finite geotransform`);
  }
  return transform;
}

function checkWindow(window: PixelWindow, width: number, height: number, name: string): void {
  const { x, y, width: windowWidth, height: windowHeight } = window;
  const integers = [x, y, windowWidth, windowHeight].every(Number.isInteger);
  if (
    !integers ||
    x < 0 ||
    y < 0 ||
    windowWidth < 1 ||
    windowHeight < 1 ||
    x + windowWidth > width ||
    y + windowHeight > height
  ) {
    throw new RangeError(
      `readRaster: window {x: ${x}, y: ${y}, width: ${windowWidth}, height: ${windowHeight}} is outside "${name}" ` +
        `(${width} x ${height}); expected integers with 0 <= x, x + width <= ${width}, 0 <= y, y + height <= ${height}`,
    );
  }
}

function checkBands(bands: readonly number[], count: number, name: string): void {
  if (bands.length === 0 || bands.some((band) => !Number.isInteger(band) || band < 0 || band >= count)) {
    throw new RangeError(
      `readRaster: bands [${bands.join(', ')}] do not exist in "${name}"; expected 0-based indices below ${count}`,
    );
  }
}

function bandDataType(image: GeoTIFFImage, bands: readonly number[], name: string): RasterDataType {
  let common: RasterDataType | null = null;
  for (const band of bands) {
    const format = image.getSampleFormat(band);
    const bits = image.getBitsPerSample(band);
    const dataType = dataTypeFromTiff(format, bits);
    if (dataType === null) {
      throw new TypeError(
        `readRaster: "${name}" band ${band} has an unsupported sample format (SampleFormat ${format}, ${bits} bits); ` +
          'expected 8/16/32-bit integers or 32/64-bit floats',
      );
    }
    if (common !== null && common !== dataType) {
      throw new TypeError(
        `readRaster: "${name}" mixes sample types (${common} and ${dataType}); read the bands separately`,
      );
    }
    common = dataType;
  }
  return common as RasterDataType;
}

/**
 * The first image of an opened GeoTIFF, after checking that its directory and tag values lie inside the
 * file (before geotiff.js parses them) and that its block layout is sane.
 */
async function openImage(
  tiff: GeoTIFF,
  name: string,
): Promise<{ image: GeoTIFFImage; layout: TiffLayout; fileSize: number | null }> {
  const fileSize = tiffFileSize(tiff);
  const directory = await readDirectory(tiff, name, fileSize);
  const image = await tiff.getImage(0);
  return { image, layout: await checkLayout(image, directory, name), fileSize };
}

/**
 * Reads the first image of an opened GeoTIFF into a {@link Raster}.
 *
 * @param tiff - The opened geotiff.js file.
 * @param name - The source's name, for error messages.
 * @param path - The local path (to look for a `.tfw`), or `null`.
 * @param options - Window, bands and CRS override.
 * @returns The raster.
 * @throws RangeError for a window or bands outside the file, or sizes beyond {@link MAX_READ_BYTES};
 *   TypeError for unsupported samples, a missing CRS or a GDAL_NODATA tag that is not a number; Error
 *   (`readRaster: "<file>" is truncated or corrupt: ...`) when a block the window needs lies past the end
 *   of the file, fails to decode or decodes to fewer bytes than its pixels need, or the directory or block
 *   layout is inconsistent.
 */
export async function readGeoTiff(
  tiff: GeoTIFF,
  name: string,
  path: string | null,
  options: ReadRasterOptions,
): Promise<Raster> {
  const { image, layout, fileSize } = await openImage(tiff, name);
  const { width, height, samplesPerPixel: bandCount } = layout;
  const window = options.window ?? { x: 0, y: 0, width, height };
  checkWindow(window, width, height, name);
  const bands = options.bands ?? Array.from({ length: bandCount }, (_, band) => band);
  checkBands(bands, bandCount, name);
  const dataType = bandDataType(image, bands, name);
  const pixels = window.width * window.height;
  const bytes = (pixels * bands.length * image.getBitsPerSample(bands[0])) / 8;
  if (bytes > MAX_READ_BYTES) {
    throw new RangeError(
      `readRaster: reading "${name}" whole needs ${bytes} bytes; pass options.window to read a part`,
    );
  }
  const nodata = await readNoData(image, name);
  const keys = image.getGeoKeys() ?? {};
  const crs = options.crs ? resolveCrs(options.crs) : crsFromGeoKeys(keys);
  if (!crs) throw new TypeError(`readRaster: "${name}" has no CRS in its GeoKeys; pass options.crs`);
  const transform = await readGeoTransform(image, name, path);
  const values = createTypedArray(dataType, pixels * bands.length);
  const context: BlockReadContext = { name, fileSize, nodata };
  if (!(await readBlocksInto(image, layout, window, bands, values, context))) {
    await readRastersInto(image, layout, window, bands, values, context);
  }
  return {
    data: ndarray(values, [bands.length, window.height, window.width]),
    transform: windowGeoTransform(transform, window.x, window.y),
    crs,
    nodata,
  };
}

/**
 * Describes the first image of an opened GeoTIFF without reading its pixels.
 *
 * @param tiff - The opened geotiff.js file.
 * @param name - The source's name, for error messages.
 * @param path - The local path (to look for a `.tfw`), or `null`.
 * @param options - CRS override.
 * @returns Size, bands, element type, transform, CRS, nodata and dataset metadata.
 * @throws TypeError for unsupported samples, a missing CRS or a GDAL_NODATA tag that is not a number;
 *   Error (`is truncated or corrupt`) when the directory or a tag value lies past the end of the file or
 *   the block layout is inconsistent; RangeError for blocks larger than {@link MAX_READ_BYTES}. Blocks are
 *   not looked at: a file cut short inside its pixels is described, and refused when read.
 */
export async function readGeoTiffInfo(
  tiff: GeoTIFF,
  name: string,
  path: string | null,
  options: Pick<ReadRasterOptions, 'crs'>,
): Promise<RasterInfo> {
  const { image, layout } = await openImage(tiff, name);
  const bandCount = layout.samplesPerPixel;
  const dataType = bandDataType(
    image,
    Array.from({ length: bandCount }, (_, band) => band),
    name,
  );
  const keys = image.getGeoKeys() ?? {};
  const crs = options.crs ? resolveCrs(options.crs) : crsFromGeoKeys(keys);
  if (!crs) throw new TypeError(`readRaster: "${name}" has no CRS in its GeoKeys; pass options.crs`);
  return {
    width: layout.width,
    height: layout.height,
    bandCount,
    dataType,
    transform: await readGeoTransform(image, name, path),
    crs,
    nodata: await readNoData(image, name),
    metadata: parseGdalMetadata(
      image.fileDirectory.hasTag('GDAL_METADATA')
        ? String(await image.fileDirectory.loadValue('GDAL_METADATA'))
        : undefined,
    ),
  };
}
