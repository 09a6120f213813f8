import { type CrsInput, type GeoTransform, resolveCrs } from '@siran/geo-io';
import ndarray from 'ndarray';
import { checkWindow, type RasterSource } from './raster-source.js';
import type { SceneDegradation, SceneSources } from './scene-layers.js';

/** Options for {@link createSyntheticScene}. */
export interface SyntheticSceneOptions {
  /** Columns of the scene. */
  readonly width: number;
  /** Rows of the scene. */
  readonly height: number;
  /** Pixel size in CRS units. */
  readonly pixelSize?: number;
  /** Top-left corner `[x, y]` in CRS units. */
  readonly origin?: readonly [number, number];
  /** CRS of the scene. */
  readonly crs?: CrsInput;
  /** The degradation that makes the coarse layer. */
  readonly degradation?: SceneDegradation;
  /** A rectangle of reference nodata, `[row, column, height, width]`, or `null`. */
  readonly nodataRectangle?: readonly [number, number, number, number] | null;
}

/** Defaults for {@link SyntheticSceneOptions} (all but the size). */
export const DEFAULT_SYNTHETIC_SCENE_OPTIONS: Required<Omit<SyntheticSceneOptions, 'width' | 'height'>> = {
  pixelSize: 1,
  origin: [500000, 4800000],
  crs: 'EPSG:32631',
  degradation: { coarseCellSize: 8, blurSigma: 0.5, noiseStandardDeviation: 0.25, seed: 1 },
  nodataRectangle: null,
};

/** A pixel's value from its band, terrain height, east and north slopes, row and column. */
type PixelValue = (
  band: number,
  height: number,
  slopeEast: number,
  slopeNorth: number,
  row: number,
  column: number,
) => number;

/** Terrain height at map coordinates: ridges, a slope and a few hills (metres). */
function terrainHeight(x: number, y: number): number {
  return (
    200 +
    0.05 * x -
    0.02 * y +
    15 * Math.sin(x / 37) * Math.cos(y / 53) +
    6 * Math.sin((x + 2 * y) / 11) +
    2 * Math.cos((3 * x - y) / 5)
  );
}

/**
 * A procedurally generated scene (reference DEM, 3-band guide, synthetic degradation) that computes its
 * pixels window by window, so scenes of any size can be processed with bounded memory.
 *
 * @param options - Size, grid and degradation; see {@link SyntheticSceneOptions}.
 * @returns Scene sources for `buildDatasetFromSources`.
 * @throws RangeError if the size is not a positive integer.
 * @remarks
 * The reference is a closed-form terrain of the map coordinates; the guide's bands are a shaded relief
 * (NIR-like), the height and the slope, so guide and DEM share their features. Benchmarks and tests use it.
 * @example
 * ```ts
 * const scene = createSyntheticScene({ width: 10000, height: 10000 });
 * await buildDatasetFromSources([scene], 'out/large');
 * ```
 */
export function createSyntheticScene(options: SyntheticSceneOptions): SceneSources {
  const settings = { ...DEFAULT_SYNTHETIC_SCENE_OPTIONS, ...options };
  const { width, height, pixelSize, origin, nodataRectangle } = settings;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`createSyntheticScene: size ${width}x${height} must be positive integers`);
  }
  const crs = resolveCrs(settings.crs);
  const transform: GeoTransform = [origin[0], pixelSize, 0, origin[1], 0, -pixelSize];
  const insideHole = (row: number, column: number) =>
    nodataRectangle !== null &&
    row >= nodataRectangle[0] &&
    row < nodataRectangle[0] + nodataRectangle[2] &&
    column >= nodataRectangle[1] &&
    column < nodataRectangle[1] + nodataRectangle[3];
  // Each read evaluates the terrain once per pixel of the window plus a one-pixel ring (for the slopes).
  const source = (description: string, bandCount: number, value: PixelValue): RasterSource => ({
    description,
    width,
    height,
    bandCount,
    transform,
    crs,
    nodata: Number.NaN,
    read: async (window, bands) => {
      checkWindow('createSyntheticScene', window, width, height, bands, bandCount);
      const ringWidth = window.width + 2;
      const heights = new Float64Array(ringWidth * (window.height + 2));
      for (let r = 0; r < window.height + 2; r += 1) {
        const y = origin[1] - (window.y + r - 0.5) * pixelSize;
        for (let c = 0; c < ringWidth; c += 1) {
          heights[r * ringWidth + c] = terrainHeight(origin[0] + (window.x + c - 0.5) * pixelSize, y);
        }
      }
      const values = new Float32Array(bands.length * window.width * window.height);
      let index = 0;
      for (const band of bands) {
        for (let r = 0; r < window.height; r += 1) {
          for (let c = 0; c < window.width; c += 1) {
            const centre = (r + 1) * ringWidth + c + 1;
            const east = (heights[centre + 1]! - heights[centre - 1]!) / (2 * pixelSize);
            const north = (heights[centre - ringWidth]! - heights[centre + ringWidth]!) / (2 * pixelSize);
            values[index++] = value(band, heights[centre]!, east, north, window.y + r, window.x + c);
          }
        }
      }
      const windowTransform: GeoTransform = [
        origin[0] + window.x * pixelSize,
        pixelSize,
        0,
        origin[1] - window.y * pixelSize,
        0,
        -pixelSize,
      ];
      const data = ndarray(values, [bands.length, window.height, window.width]);
      return { data, transform: windowTransform, crs, nodata: Number.NaN };
    },
  });
  const reference = source(`synthetic terrain ${width}x${height}`, 1, (_, z, _east, _north, row, column) =>
    insideHole(row, column) ? Number.NaN : z,
  );
  const guide = source(`synthetic guide ${width}x${height}`, 3, (band, z, east, north) => {
    if (band === 0) return 1000 * (1 + (east - north) / Math.sqrt(2 + east * east + north * north));
    if (band === 1) return z * 2;
    return 100 * Math.hypot(east, north);
  });
  return {
    name: `synthetic-${width}x${height}`,
    reference,
    guide,
    guideBands: [0, 1, 2],
    degradation: settings.degradation,
  };
}
