import type { GeoTransform } from './types.js';

/**
 * Parses the six lines of an ESRI world file (`.wld`, `.jgw`, `.pgw`, `.tfw`).
 *
 * @param text - The file's text: pixel width, row rotation term, column rotation term, pixel
 *   height, and the x, y of the CENTRE of the top-left pixel.
 * @param name - The file name, for error messages.
 * @returns The equivalent GDAL geotransform (whose origin is the pixel's outer corner).
 * @throws TypeError if the text does not hold six finite numbers.
 * @example
 * ```ts
 * parseWorldFile('2\n0\n0\n-2\n101\n499\n', 'a.wld'); // [100, 2, 0, 500, 0, -2]
 * ```
 */
export function parseWorldFile(text: string, name: string): GeoTransform {
  const values = text
    .split(/\s+/)
    .filter((token) => token.length > 0)
    .map(Number);
  if (values.length < 6 || values.slice(0, 6).some((value) => !Number.isFinite(value))) {
    throw new TypeError(`parseWorldFile: "${name}" is not a world file; expected six numbers, one per line`);
  }
  const [a, d, b, e, c, f] = values;
  return [c - 0.5 * a - 0.5 * b, a, b, f - 0.5 * d - 0.5 * e, d, e];
}

/**
 * The world-file names GDAL looks for next to an image, in order.
 *
 * @param imagePath - The image's path.
 * @returns Candidate paths: e.g. for `a.jpg`: `a.jgw`, `a.jpgw`, `a.wld` (and upper-case variants).
 * @example
 * ```ts
 * worldFileCandidates('dir/a.png')[0]; // 'dir/a.pgw'
 * ```
 */
export function worldFileCandidates(imagePath: string): string[] {
  const dot = imagePath.lastIndexOf('.');
  const slash = Math.max(imagePath.lastIndexOf('/'), imagePath.lastIndexOf('\\'));
  const base = dot > slash ? imagePath.slice(0, dot) : imagePath;
  const extension = dot > slash ? imagePath.slice(dot + 1).toLowerCase() : '';
  const short = extension.length >= 2 ? `${extension[0]}${extension[extension.length - 1]}w` : '';
  const names = [short, `${extension}w`, 'wld'].filter((suffix) => suffix.length > 1);
  return names.flatMap((suffix) => [`${base}.${suffix}`, `${base}.${suffix.toUpperCase()}`]);
}
