import type { GeoTransform } from './types.js';

/**
 * Maps pixel coordinates (column, row; `0,0` is the outer top-left corner) to map coordinates.
 *
 * @param transform - The geotransform.
 * @param column - Pixel column (fractional; `+0.5` for a pixel centre).
 * @param row - Pixel row (fractional).
 * @returns `[x, y]` in map units.
 * @example
 * ```ts
 * applyGeoTransform([100, 2, 0, 500, 0, -2], 0.5, 0.5); // [101, 499]
 * ```
 */
export function applyGeoTransform(transform: GeoTransform, column: number, row: number): [number, number] {
  return [
    transform[0] + column * transform[1] + row * transform[2],
    transform[3] + column * transform[4] + row * transform[5],
  ];
}

/**
 * Inverts a geotransform, so that it maps map coordinates to pixel coordinates.
 *
 * @param transform - The geotransform.
 * @returns The inverse, in the same six-number form.
 * @throws RangeError if the transform is singular (zero pixel size).
 * @example
 * ```ts
 * const inverse = invertGeoTransform([100, 2, 0, 500, 0, -2]);
 * applyGeoTransform(inverse, 101, 499); // [0.5, 0.5]
 * ```
 */
export function invertGeoTransform(transform: GeoTransform): GeoTransform {
  const [originX, a, b, originY, d, e] = transform;
  const determinant = a * e - b * d;
  if (determinant === 0 || !Number.isFinite(determinant)) {
    throw new RangeError(
      `invertGeoTransform: the transform [${transform.join(', ')}] is singular; expected non-zero pixel sizes`,
    );
  }
  const inverseA = e / determinant;
  const inverseB = -b / determinant;
  const inverseD = -d / determinant;
  const inverseE = a / determinant;
  return [
    -(inverseA * originX + inverseB * originY),
    inverseA,
    inverseB,
    -(inverseD * originX + inverseE * originY),
    inverseD,
    inverseE,
  ];
}

/**
 * The geotransform of a sub-window whose top-left pixel is `(column, row)` of the given grid.
 *
 * @param transform - The full grid's geotransform.
 * @param column - First column of the window.
 * @param row - First row of the window.
 * @returns The window's geotransform (same pixel size and rotation, shifted origin).
 * @example
 * ```ts
 * windowGeoTransform([100, 2, 0, 500, 0, -2], 10, 5); // [120, 2, 0, 490, 0, -2]
 * ```
 */
export function windowGeoTransform(transform: GeoTransform, column: number, row: number): GeoTransform {
  const [x, y] = applyGeoTransform(transform, column, row);
  return [x, transform[1], transform[2], y, transform[4], transform[5]];
}
