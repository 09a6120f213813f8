import { rasterSourceFromRaster, readOnGrid } from '@siran/dataset-builder';
import {
  type CrsInput,
  type Raster,
  readRaster,
  readRasterInfo,
  type TargetGrid,
  targetGridAtResolution,
  windowGeoTransform,
  writeRaster,
} from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { type SiranModel, superResolve } from './model.js';

/** Options for {@link predictScene}. */
export interface PredictSceneOptions {
  /** Bands of the guide (0-based) for NIR, red and green. */
  readonly guideBands?: readonly [number, number, number];
  /** CRS of the guide when the file has none (PNG/JPEG with a world file). */
  readonly guideCrs?: CrsInput;
  /** Band of the coarse DEM (0-based). */
  readonly coarseBand?: number;
  /** Tile size in pixels. */
  readonly tile?: number;
  /** Overlap between neighbouring tiles, pixels; each output pixel comes from the tile whose centre is nearest. */
  readonly overlap?: number;
  /** Nodata value of the output where the coarse DEM has none (float32 output). */
  readonly nodata?: number;
  /**
   * Tiles run through the model in one call. Larger batches use the cores better (about a quarter less time per
   * tile at 8 than at 1 on tensorflow) and hold `batch` tiles of activations at once.
   */
  readonly batch?: number;
  /** Called after each tile. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Defaults of {@link PredictSceneOptions}. */
export const DEFAULT_PREDICT_SCENE_OPTIONS: Required<Omit<PredictSceneOptions, 'guideCrs' | 'onProgress'>> = {
  guideBands: [0, 1, 2],
  coarseBand: 0,
  tile: 128,
  overlap: 32,
  nodata: -9999,
  batch: 8,
};

/** What {@link predictScene} wrote. */
export interface PredictSceneResult {
  /** The output grid (the guide's). */
  readonly grid: TargetGrid;
  /** Tiles run through the model. */
  readonly tiles: number;
  /** Output pixels with a value (the rest are nodata). */
  readonly validPixels: number;
  /** The output nodata value. */
  readonly nodata: number;
}

/**
 * Super-resolves a whole scene: reads the coarse DEM onto the guide's grid (cubic convolution), runs the model
 * over overlapping tiles and writes a float32 GeoTIFF in metres on the guide's grid.
 *
 * @param model - The model.
 * @param coarsePath - Coarse DEM (GeoTIFF), any CRS and resolution overlapping the guide.
 * @param guidePath - Guide image (GeoTIFF, or PNG/JPEG with a world file and `guideCrs`).
 * @param outPath - Output GeoTIFF; written to a temporary file and renamed, so it is complete or absent.
 * @param options - Bands, tiling and nodata; see {@link PredictSceneOptions}.
 * @returns The grid, the number of tiles and of valid pixels.
 * @throws RangeError if the coarse DEM and the guide do not overlap, the guide has too few bands, or the
 *   tiling options are out of range.
 * @remarks Memory holds the coarse DEM (small by nature), one tile of each input and the output grid. Each output
 *   pixel comes from the tile whose centre is nearest, at least `overlap / 2` pixels from that tile's border.
 *   Pixels where the coarse DEM is nodata are nodata in the output; guide nodata is replaced by the band mean.
 */
export async function predictScene(
  model: SiranModel,
  coarsePath: string,
  guidePath: string,
  outPath: string,
  options: PredictSceneOptions = {},
): Promise<PredictSceneResult> {
  const settings = { ...DEFAULT_PREDICT_SCENE_OPTIONS, ...options };
  const { tile, overlap } = settings;
  if (!Number.isInteger(tile) || tile < 8)
    throw new RangeError(`predictScene: tile must be an integer >= 8, got ${tile}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile) {
    throw new RangeError(`predictScene: overlap must be an integer in [0, tile), got ${overlap}`);
  }
  if (!Number.isInteger(settings.batch) || settings.batch < 1) {
    throw new RangeError(`predictScene: batch must be a positive integer, got ${settings.batch}`);
  }
  const guide = await readRasterInfo(
    guidePath,
    settings.guideCrs === undefined ? {} : { crs: settings.guideCrs },
  );
  for (const band of settings.guideBands) {
    if (band < 0 || band >= guide.bandCount) {
      throw new RangeError(
        `predictScene: ${guidePath} has ${guide.bandCount} band(s); guide band ${band + 1} (NIR, R, G: ${settings.guideBands.map((b) => b + 1)}) does not exist`,
      );
    }
  }
  const grid: TargetGrid = {
    width: guide.width,
    height: guide.height,
    transform: guide.transform,
    crs: guide.crs,
  };
  const coarseRaster = await readRaster(coarsePath);
  const coarse = rasterSourceFromRaster(coarseRaster, coarsePath);
  await checkOverlap(coarse, settings.coarseBand, grid, coarsePath, guidePath);
  const fill = validMean(coarseRaster, settings.coarseBand);
  const output = new Float32Array(grid.width * grid.height).fill(settings.nodata);
  const columns = tileStarts(grid.width, tile, overlap);
  const rows = tileStarts(grid.height, tile, overlap);
  const windows = rows.flatMap((row, rowIndex) =>
    columns.map((column, columnIndex) => ({ row, rowIndex, column, columnIndex })),
  );
  const window = { width: Math.min(tile, grid.width), height: Math.min(tile, grid.height) };
  let done = 0;
  let validPixels = 0;
  for (let first = 0; first < windows.length; first += settings.batch) {
    const group = windows.slice(first, first + settings.batch);
    const inputs = await Promise.all(
      group.map(({ row, column }) =>
        readTile(coarse, fill, guidePath, grid, { x: column, y: row, ...window }, settings),
      ),
    );
    const predictions = await predictTiles(model, inputs, window);
    group.forEach(({ row, rowIndex, column, columnIndex }, index) => {
      const prediction = predictions[index];
      const [rowFrom, rowTo] = ownedRange(rows, rowIndex, window.height, grid.height);
      const [columnFrom, columnTo] = ownedRange(columns, columnIndex, window.width, grid.width);
      for (let y = rowFrom; y < rowTo; y++) {
        for (let x = columnFrom; x < columnTo; x++) {
          const value = prediction[(y - row) * window.width + (x - column)];
          if (Number.isFinite(value)) {
            output[y * grid.width + x] = value;
            validPixels += 1;
          }
        }
      }
      done += 1;
      settings.onProgress?.(done, windows.length);
    });
  }
  const raster: Raster = {
    data: ndarray(output, [1, grid.height, grid.width]),
    transform: grid.transform,
    crs: grid.crs,
    nodata: settings.nodata,
  };
  await writeRaster(outPath, raster, { compression: 'deflate', tileSize: 256 });
  return { grid, tiles: done, validPixels, nodata: settings.nodata };
}

/**
 * Tile origins along one axis: a regular step of `tile - overlap`, the last tile flush with the end.
 *
 * @param size - Pixels along the axis.
 * @param tile - Tile size.
 * @param overlap - Overlap.
 * @returns Sorted, distinct origins.
 */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const starts: number[] = [];
  for (let start = 0; start + tile < size; start += tile - overlap) starts.push(start);
  starts.push(size - tile);
  return [...new Set(starts)];
}

/** The pixels tile `index` owns along an axis: those nearer to its centre than to any other tile's. */
function ownedRange(
  starts: readonly number[],
  index: number,
  extent: number,
  size: number,
): [number, number] {
  const centre = (i: number) => starts[i] + extent / 2;
  const from = index === 0 ? 0 : Math.ceil((centre(index - 1) + centre(index)) / 2);
  const to = index === starts.length - 1 ? size : Math.ceil((centre(index) + centre(index + 1)) / 2);
  return [from, to];
}

/** The inputs of one tile: the coarse DEM on the tile grid (nodata filled), the guide band-interleaved, validity. */
interface TileInput {
  readonly coarse: Float32Array;
  readonly guide: Float32Array;
  readonly valid: Uint8Array;
}

/** Reads one tile's inputs: the coarse DEM by cubic convolution onto the tile grid, the guide's window. */
async function readTile(
  coarse: ReturnType<typeof rasterSourceFromRaster>,
  fill: number,
  guidePath: string,
  grid: TargetGrid,
  window: { x: number; y: number; width: number; height: number },
  settings: typeof DEFAULT_PREDICT_SCENE_OPTIONS & PredictSceneOptions,
): Promise<TileInput> {
  const tileGrid: TargetGrid = {
    width: window.width,
    height: window.height,
    transform: windowGeoTransform(grid.transform, window.x, window.y),
    crs: grid.crs,
  };
  const coarseValues = await readOnGrid(coarse, [settings.coarseBand], tileGrid, 'cubic');
  const guideRaster = await readRaster(guidePath, {
    window,
    bands: [...settings.guideBands],
    ...(settings.guideCrs === undefined ? {} : { crs: settings.guideCrs }),
  });
  const size = window.width * window.height;
  const guideValues = new Float32Array(3 * size);
  for (let band = 0; band < 3; band++) {
    const source = guideRaster.data.data;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < size; i++) {
      const value = source[band * size + i];
      if (value !== guideRaster.nodata && Number.isFinite(value)) {
        sum += value;
        count += 1;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    for (let i = 0; i < size; i++) {
      const value = source[band * size + i];
      guideValues[i * 3 + band] = value !== guideRaster.nodata && Number.isFinite(value) ? value : mean;
    }
  }
  const valid = Uint8Array.from(coarseValues, (value) => (Number.isFinite(value) ? 1 : 0));
  // The same fill in every tile, so that tiles agree where nodata is near.
  const filled = Float32Array.from(coarseValues, (value) => (Number.isFinite(value) ? value : fill));
  return { coarse: filled, guide: guideValues, valid };
}

/**
 * Runs the model on tiles of one size in one call (tiles without any valid coarse pixel are not run); NaN where
 * the coarse DEM has no data.
 */
async function predictTiles(
  model: SiranModel,
  tiles: readonly TileInput[],
  window: { width: number; height: number },
): Promise<Float32Array[]> {
  const size = window.width * window.height;
  const run = tiles.filter((tile) => tile.valid.includes(1));
  let values: Float32Array = new Float32Array(0);
  if (run.length > 0) {
    const result = tf.tidy(() => {
      const stack = (pick: (tile: TileInput) => Float32Array, channels: number) => {
        const data = new Float32Array(run.length * size * channels);
        run.forEach((tile, index) => {
          data.set(pick(tile), index * size * channels);
        });
        return tf.tensor4d(data, [run.length, window.height, window.width, channels]);
      };
      return superResolve(
        model,
        stack((tile) => tile.coarse, 1),
        stack((tile) => tile.guide, 3),
      );
    });
    values = (await result.data()) as Float32Array;
    result.dispose();
  }
  let next = 0;
  return tiles.map((tile) => {
    if (!tile.valid.includes(1)) return new Float32Array(size).fill(Number.NaN);
    const offset = next++ * size;
    return Float32Array.from(values.subarray(offset, offset + size), (value, i) =>
      tile.valid[i] ? value : Number.NaN,
    );
  });
}

/** Mean of the valid values of one band: the fill of coarse nodata before it enters the model. */
function validMean(raster: Raster, band: number): number {
  const [, rows, columns] = raster.data.shape;
  let sum = 0;
  let count = 0;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const value = raster.data.get(band, row, column);
      if (value !== raster.nodata && Number.isFinite(value)) {
        sum += value;
        count += 1;
      }
    }
  }
  return count > 0 ? sum / count : 0;
}

async function checkOverlap(
  coarse: ReturnType<typeof rasterSourceFromRaster>,
  band: number,
  grid: TargetGrid,
  coarsePath: string,
  guidePath: string,
): Promise<void> {
  const pixelSize = Math.abs(coarse.transform[1]);
  const sameCrs = coarse.crs.proj4 === grid.crs.proj4;
  const resolution = sameCrs
    ? Math.max(pixelSize, Math.abs(grid.transform[1]))
    : Math.abs(grid.transform[1]) * Math.max(1, Math.floor(Math.min(grid.width, grid.height) / 64));
  const coarseGrid = targetGridAtResolution(grid, resolution);
  const values = await readOnGrid(coarse, [band], coarseGrid, 'nearest');
  if (!values.some((value) => Number.isFinite(value))) {
    throw new RangeError(
      `predictScene: the coarse DEM ${coarsePath} does not overlap the guide ${guidePath} (no valid coarse pixel on the guide's grid)`,
    );
  }
}
