import { type Raster, readRaster, sameCrs } from '@siran/geo-io';
import {
  type ClassTable,
  classIndices,
  type DemNormalization,
  fitDemNormalization,
  fitOpticalNormalization,
  type ImageryNormalization,
  normalizeBand,
} from './normalization.js';

/** A co-registered scene, normalised: land-cover class indices, DEM and (optionally) imagery. */
export interface SynthesisScene {
  /** Rows. */
  readonly height: number;
  /** Columns. */
  readonly width: number;
  /** Class index per pixel (-1 for nodata), `[height * width]`. */
  readonly classes: Int32Array;
  /** Normalised DEM, `[height * width]` (nodata as 0). */
  readonly dem: Float32Array;
  /** Normalised imagery in [-1, 1], pixel-interleaved `[height * width * bands]`, or `null`. */
  readonly image: Float32Array | null;
  /** Imagery bands (0 without imagery). */
  readonly bands: number;
  /** The class table. */
  readonly classTable: ClassTable;
  /** The DEM normalisation used. */
  readonly demNormalization: DemNormalization;
  /** The imagery normalisation used, or `null`. */
  readonly imageryNormalization: ImageryNormalization | null;
  /** The land-cover raster's georeferencing (the grid of every layer). */
  readonly grid: Pick<Raster, 'transform' | 'crs'>;
}

/** Files and normalisations of {@link loadSynthesisScene}. */
export interface LoadSynthesisSceneOptions {
  /** Land-cover raster (one band of class values). */
  readonly landCover: string;
  /** DEM raster on the same grid, metres. */
  readonly dem: string;
  /** Imagery on the same grid (any number of bands), or omitted for synthesis. */
  readonly imagery?: string;
  /** The classes of the land-cover raster. */
  readonly classTable: ClassTable;
  /** DEM normalisation; fitted on the scene when omitted. */
  readonly demNormalization?: DemNormalization;
  /** Imagery normalisation; optical 2-98 % clip fitted on the scene when omitted. */
  readonly imageryNormalization?: ImageryNormalization;
}

/**
 * Checks that two rasters share a grid.
 *
 * @param caller - Name starting the message.
 * @param reference - The reference raster (named `referenceName`).
 * @param other - The other raster.
 * @param names - The two file names, for the message.
 * @throws RangeError naming both files and what differs.
 */
export function assertSameGrid(
  caller: string,
  reference: Raster,
  other: Raster,
  names: readonly [string, string],
): void {
  const [, rows, cols] = reference.data.shape;
  const [, otherRows, otherCols] = other.data.shape;
  const tolerance = Math.abs(reference.transform[1]) * 1e-3;
  const transformDiffers = reference.transform.some((v, i) => Math.abs(v - other.transform[i]) > tolerance);
  if (rows !== otherRows || cols !== otherCols || transformDiffers || !sameCrs(reference.crs, other.crs)) {
    throw new RangeError(
      `${caller}: ${names[1]} (${otherCols} x ${otherRows}, transform [${other.transform.join(', ')}], ${other.crs.name ?? other.crs.proj4}) is not on the grid of ${names[0]} (${cols} x ${rows}, transform [${reference.transform.join(', ')}], ${reference.crs.name ?? reference.crs.proj4}); warp it onto that grid first (warpRaster of @siran/geo-io)`,
    );
  }
}

function band(raster: Raster, index: number): Float32Array {
  const [, rows, cols] = raster.data.shape;
  const size = rows * cols;
  const out = Float32Array.from(raster.data.data.subarray(index * size, (index + 1) * size));
  if (raster.nodata !== null)
    for (let i = 0; i < size; i++) if (out[i] === raster.nodata) out[i] = Number.NaN;
  return out;
}

/**
 * Reads a land-cover raster, a DEM and optionally imagery on one grid, and normalises them.
 *
 * @param options - Files, class table and normalisations.
 * @returns The scene.
 * @throws RangeError if the grids differ or the land cover has values outside the class table.
 */
export async function loadSynthesisScene(options: LoadSynthesisSceneOptions): Promise<SynthesisScene> {
  const caller = 'loadSynthesisScene';
  const landCover = await readRaster(options.landCover);
  const demRaster = await readRaster(options.dem);
  assertSameGrid(caller, landCover, demRaster, [options.landCover, options.dem]);
  const [, height, width] = landCover.data.shape;
  const classes = classIndices(
    landCover.data.data.subarray(0, height * width),
    options.classTable,
    landCover.nodata,
  );
  const heights = band(demRaster, 0);
  const demNormalization = options.demNormalization ?? fitDemNormalization(heights);
  const dem = heights.map((h) =>
    Number.isFinite(h) ? (h - demNormalization.mean) / demNormalization.scale : 0,
  );
  let image: Float32Array | null = null;
  let bands = 0;
  let imageryNormalization: ImageryNormalization | null = null;
  if (options.imagery !== undefined) {
    const imagery = await readRaster(options.imagery);
    assertSameGrid(caller, landCover, imagery, [options.landCover, options.imagery]);
    bands = imagery.data.shape[0];
    const raw = Array.from({ length: bands }, (_, b) => band(imagery, b));
    imageryNormalization = options.imageryNormalization ?? fitOpticalNormalization(raw);
    image = new Float32Array(height * width * bands);
    for (let b = 0; b < bands; b++) {
      const normalized = normalizeBand(raw[b], imageryNormalization, b);
      for (let i = 0; i < height * width; i++) image[i * bands + b] = normalized[i];
    }
  }
  return {
    height,
    width,
    classes,
    dem,
    image,
    bands,
    classTable: options.classTable,
    demNormalization,
    imageryNormalization,
    grid: { transform: landCover.transform, crs: landCover.crs },
  };
}
