import { existsSync, readFileSync } from 'node:fs';
import type { GeoTIFF, GeoTIFFImage } from 'geotiff';
import ndarray from 'ndarray';
import { windowGeoTransform } from './geo-transform.js';
import { crsFromGeoKeys } from './geokeys.js';
import { readBlocksInto } from './internal/block-reader.js';
import { parseGdalMetadata } from './internal/gdal-metadata.js';
import { createTypedArray, dataTypeFromTiff } from './raster-data-type.js';
import type { ReadRasterOptions } from './read-raster-options.js';
import { resolveCrs } from './resolve-crs.js';
import type { GeoTransform, PixelWindow, Raster, RasterDataType, RasterInfo } from './types.js';
import { parseWorldFile, worldFileCandidates } from './world-file.js';

/** Largest number of bytes one read may allocate (2 GiB): beyond that a window is required. */
export const MAX_READ_BYTES = 2 ** 31;

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
 * Reads the first image of an opened GeoTIFF into a {@link Raster}.
 *
 * @param tiff - The opened geotiff.js file.
 * @param name - The source's name, for error messages.
 * @param path - The local path (to look for a `.tfw`), or `null`.
 * @param options - Window, bands and CRS override.
 * @returns The raster.
 * @throws RangeError for a window or bands outside the file; TypeError for unsupported samples or a missing CRS.
 */
export async function readGeoTiff(
  tiff: GeoTIFF,
  name: string,
  path: string | null,
  options: ReadRasterOptions,
): Promise<Raster> {
  const image = await tiff.getImage(0);
  const width = image.getWidth();
  const height = image.getHeight();
  const bandCount = image.getSamplesPerPixel();
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
  const keys = image.getGeoKeys() ?? {};
  const crs = options.crs ? resolveCrs(options.crs) : crsFromGeoKeys(keys);
  if (!crs) throw new TypeError(`readRaster: "${name}" has no CRS in its GeoKeys; pass options.crs`);
  const transform = await readGeoTransform(image, name, path);
  const values = createTypedArray(dataType, pixels * bands.length);
  if (!(await readBlocksInto(image, window, bands, values))) {
    const rasters = await image.readRasters({
      window: [window.x, window.y, window.x + window.width, window.y + window.height],
      samples: [...bands],
      interleave: false,
    });
    for (let band = 0; band < bands.length; band++) {
      const source = rasters[band];
      if (!source || source.length < pixels)
        throw new TypeError(`readRaster: "${name}" band ${bands[band]} decoded short`);
      values.set(source.length === pixels ? source : source.subarray(0, pixels), band * pixels);
    }
  }
  return {
    data: ndarray(values, [bands.length, window.height, window.width]),
    transform: windowGeoTransform(transform, window.x, window.y),
    crs,
    nodata: image.getGDALNoData(),
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
 * @throws TypeError for unsupported samples or a missing CRS.
 */
export async function readGeoTiffInfo(
  tiff: GeoTIFF,
  name: string,
  path: string | null,
  options: Pick<ReadRasterOptions, 'crs'>,
): Promise<RasterInfo> {
  const image = await tiff.getImage(0);
  const bandCount = image.getSamplesPerPixel();
  const dataType = bandDataType(
    image,
    Array.from({ length: bandCount }, (_, band) => band),
    name,
  );
  const keys = image.getGeoKeys() ?? {};
  const crs = options.crs ? resolveCrs(options.crs) : crsFromGeoKeys(keys);
  if (!crs) throw new TypeError(`readRaster: "${name}" has no CRS in its GeoKeys; pass options.crs`);
  return {
    width: image.getWidth(),
    height: image.getHeight(),
    bandCount,
    dataType,
    transform: await readGeoTransform(image, name, path),
    crs,
    nodata: image.getGDALNoData(),
    metadata: parseGdalMetadata(
      image.fileDirectory.hasTag('GDAL_METADATA')
        ? String(await image.fileDirectory.loadValue('GDAL_METADATA'))
        : undefined,
    ),
  };
}
