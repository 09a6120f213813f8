import { encode } from 'fast-png';
import type { RgbaImage } from './render-raster.js';

/**
 * Encodes an RGBA image as PNG bytes.
 *
 * @param image - The image.
 * @returns The PNG file contents.
 * @throws RangeError if the pixel buffer does not hold `width * height * 4` bytes.
 * @remarks Uses the `fast-png` encoder.
 * @example
 * ```ts
 * writeFileSync('dem.png', encodePng(colorizeRaster(dem).image));
 * ```
 */
export function encodePng(image: RgbaImage): Uint8Array {
  if (image.data.length !== image.width * image.height * 4) {
    throw new RangeError(
      `encodePng: expected ${image.width * image.height * 4} bytes for ${image.width}x${image.height} RGBA, got ${image.data.length}`,
    );
  }
  return encode({ width: image.width, height: image.height, data: image.data, channels: 4, depth: 8 });
}

/**
 * An RGBA image as a `data:image/png;base64,...` URL, for embedding in SVG or HTML.
 *
 * @param image - The image.
 * @returns The data URL.
 * @throws RangeError as {@link encodePng}.
 * @example
 * ```ts
 * const href = pngDataUrl(image);
 * ```
 */
export function pngDataUrl(image: RgbaImage): string {
  const bytes = encodePng(image);
  const chunks: string[] = [];
  const chunkSize = 0x8000;
  for (let start = 0; start < bytes.length; start += chunkSize) {
    chunks.push(String.fromCharCode(...bytes.subarray(start, start + chunkSize)));
  }
  return `data:image/png;base64,${btoa(chunks.join(''))}`;
}
