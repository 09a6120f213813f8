import { existsSync, readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import ndarray from 'ndarray';
import { PNG } from 'pngjs';
import { windowGeoTransform } from './geo-transform.js';
import type { ReadRasterOptions } from './read-raster-options.js';
import { resolveCrs } from './resolve-crs.js';
import type { PixelWindow, Raster, RasterTypedArray } from './types.js';
import { parseWorldFile, worldFileCandidates } from './world-file.js';

/** Decoded pixels, pixel-interleaved. */
interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly pixels: Uint8Array | Uint16Array;
}

function decodePng(bytes: Uint8Array): DecodedImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    skipRescale: true,
  });
  // Alpha only from colour types 4 and 6; a tRNS chunk (GDAL's nodata) is not a band.
  const colorType = (png as unknown as { colorType: number }).colorType;
  const alpha = colorType === 4 || colorType === 6;
  const channels = (png.color ? 3 : 1) + (alpha ? 1 : 0);
  const rgba: ArrayLike<number> = png.data as ArrayLike<number>;
  const sixteen = png.depth === 16;
  const pixels = sixteen
    ? new Uint16Array(png.width * png.height * channels)
    : new Uint8Array(png.width * png.height * channels);
  const pick = png.color ? [0, 1, 2, 3] : [0, 3];
  if (!png.color && !alpha) pick.length = 1;
  for (let index = 0; index < png.width * png.height; index++) {
    for (let channel = 0; channel < channels; channel++)
      pixels[index * channels + channel] = rgba[index * 4 + pick[channel]];
  }
  return { width: png.width, height: png.height, channels, pixels };
}

function decodeJpeg(bytes: Uint8Array): DecodedImage {
  const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
  const channels = image.data.length / (image.width * image.height);
  return { width: image.width, height: image.height, channels, pixels: image.data };
}

/**
 * Decodes a PNG or JPEG whole; a file that does not decode (cut short, damaged) is an error naming it, and so is
 * one that decodes to fewer samples than its header declares.
 */
function decodeImage(bytes: Uint8Array, isPng: boolean, name: string): DecodedImage {
  const format = isPng ? 'PNG' : 'JPEG';
  let image: DecodedImage;
  try {
    image = isPng ? decodePng(bytes) : decodeJpeg(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new Error(
      `readRaster: "${name}" is truncated or corrupt: the ${format} image did not decode (${reason})`,
      {
        cause: error,
      },
    );
  }
  const expected = image.width * image.height * image.channels;
  if (!Number.isInteger(image.channels) || image.channels < 1 || image.pixels.length !== expected) {
    throw new Error(
      `readRaster: "${name}" is truncated or corrupt: the ${format} image decoded to ${image.pixels.length} samples; expected ${image.width} x ${image.height} pixels of whole channels`,
    );
  }
  return image;
}

/**
 * Reads a PNG or JPEG image with a world file into a {@link Raster}.
 *
 * @param bytes - The encoded image.
 * @param name - The source's name, for error messages.
 * @param path - The image's path (its world file is looked for next to it), or `null`.
 * @param options - Window, bands and the (required) CRS.
 * @returns The raster, `uint8` (or `uint16` for 16-bit PNG), one band per channel.
 * @throws TypeError when the CRS or the world file is missing; RangeError for a bad window or bands; Error when the
 *   image is cut short or damaged (it does not decode, or decodes to fewer samples than its header declares).
 * @remarks The whole image is decoded, then cropped to the window.
 */
export function readWorldFileImage(
  bytes: Uint8Array,
  name: string,
  path: string | null,
  options: ReadRasterOptions,
): Raster {
  if (!options.crs) {
    throw new TypeError(`readRaster: "${name}" is a PNG/JPEG whose world file has no CRS; pass options.crs`);
  }
  const crs = resolveCrs(options.crs);
  const worldFile =
    path === null ? undefined : worldFileCandidates(path).find((candidate) => existsSync(candidate));
  if (!worldFile) {
    throw new TypeError(
      `readRaster: no world file (.wld, .jgw, .pgw) next to "${name}"; expected one beside the image`,
    );
  }
  const transform = parseWorldFile(readFileSync(worldFile, 'utf8'), worldFile);
  const isPng = bytes[0] === 0x89;
  const image = decodeImage(bytes, isPng, name);
  const window: PixelWindow = options.window ?? { x: 0, y: 0, width: image.width, height: image.height };
  const { x, y, width, height } = window;
  if (
    ![x, y, width, height].every(Number.isInteger) ||
    x < 0 ||
    y < 0 ||
    width < 1 ||
    height < 1 ||
    x + width > image.width ||
    y + height > image.height
  ) {
    throw new RangeError(
      `readRaster: window {x: ${x}, y: ${y}, width: ${width}, height: ${height}} is outside "${name}" (${image.width} x ${image.height})`,
    );
  }
  const bands = options.bands ?? Array.from({ length: image.channels }, (_, band) => band);
  if (
    bands.length === 0 ||
    bands.some((band) => !Number.isInteger(band) || band < 0 || band >= image.channels)
  ) {
    throw new RangeError(
      `readRaster: bands [${bands.join(', ')}] do not exist in "${name}"; expected indices below ${image.channels}`,
    );
  }
  const values: RasterTypedArray =
    image.pixels instanceof Uint16Array
      ? new Uint16Array(bands.length * width * height)
      : new Uint8Array(bands.length * width * height);
  for (let band = 0; band < bands.length; band++) {
    for (let row = 0; row < height; row++) {
      for (let column = 0; column < width; column++) {
        const source = ((y + row) * image.width + x + column) * image.channels + bands[band];
        values[(band * height + row) * width + column] = image.pixels[source];
      }
    }
  }
  return {
    data: ndarray(values, [bands.length, height, width]),
    transform: windowGeoTransform(transform, x, y),
    crs,
    nodata: null,
  };
}
