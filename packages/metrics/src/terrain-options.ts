import type { GridSource } from './internal/grid-source.js';
import type { ValidityOptions } from './raster-input.js';

/** Options shared by every terrain derivative. */
export interface TerrainOptions extends ValidityOptions {
  /**
   * Cell size in map units: one number for square cells or `[x, y]`. Default: from the raster's
   * geotransform; required for a bare ndarray.
   */
  readonly cellSize?: number | readonly [number, number];
  /** Multiplier applied to elevations before differentiating (vertical exaggeration or unit change). */
  readonly zFactor?: number;
}

/** Defaults of {@link TerrainOptions}. */
export const DEFAULT_TERRAIN_OPTIONS = { zFactor: 1 } as const;

/**
 * The cell size and z factor to use, validated.
 *
 * @throws RangeError if no cell size is known or it is not positive.
 */
export function resolveTerrainScale(
  source: GridSource,
  options: TerrainOptions,
  functionName: string,
): { cellX: number; cellY: number; zFactor: number } {
  const zFactor = options.zFactor ?? DEFAULT_TERRAIN_OPTIONS.zFactor;
  if (!Number.isFinite(zFactor) || zFactor === 0) {
    throw new RangeError(`${functionName}: zFactor must be a finite non-zero number, got ${zFactor}`);
  }
  const given = options.cellSize;
  const [cellX, cellY] =
    given === undefined ? (source.cellSize ?? []) : typeof given === 'number' ? [given, given] : given;
  if (cellX === undefined || cellY === undefined) {
    throw new RangeError(
      `${functionName}: cellSize is required for a bare ndarray; pass { cellSize: metres }`,
    );
  }
  if (!(cellX > 0) || !(cellY > 0) || !Number.isFinite(cellX) || !Number.isFinite(cellY)) {
    throw new RangeError(`${functionName}: cellSize must be positive and finite, got [${cellX}, ${cellY}]`);
  }
  return { cellX, cellY, zFactor };
}
