import { type Bounds, type Crs, sameCrs } from '@siran/geo-io';
import proj4 from 'proj4';

/** Coordinates may differ by this fraction of a pixel for two CRSs to count as the same. */
export const EQUIVALENCE_TOLERANCE_PIXELS = 1e-3;

/**
 * Whether two CRSs give the same coordinates over an area, within a tolerance.
 *
 * @param first - A CRS.
 * @param second - Another CRS.
 * @param bounds - The area, in `first`'s units.
 * @param tolerance - Largest coordinate difference allowed, in map units.
 * @returns `true` when geo-io's `sameCrs` says so, or when the corners and centre of `bounds` move by at
 * most `tolerance` from `first` to `second` (e.g. one EPSG code written with GRS80 and with WGS84).
 */
export function equivalentCrs(first: Crs, second: Crs, bounds: Bounds, tolerance: number): boolean {
  if (sameCrs(first, second)) return true;
  let converter: proj4.Converter;
  try {
    converter = proj4(first.proj4, second.proj4);
  } catch {
    return false;
  }
  const points: Array<[number, number]> = [
    [bounds.minX, bounds.minY],
    [bounds.minX, bounds.maxY],
    [bounds.maxX, bounds.minY],
    [bounds.maxX, bounds.maxY],
    [(bounds.minX + bounds.maxX) / 2, (bounds.minY + bounds.maxY) / 2],
  ];
  for (const point of points) {
    let moved: number[];
    try {
      moved = converter.forward(point);
    } catch {
      return false;
    }
    if (!(Math.abs(moved[0]! - point[0]) <= tolerance && Math.abs(moved[1]! - point[1]) <= tolerance))
      return false;
  }
  return true;
}
