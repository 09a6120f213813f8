import * as tf from '@tensorflow/tfjs-core';
import { type SiranModel, superResolve } from '../model.js';

/** The inputs of one tile: the coarse DEM on the tile grid (nodata filled), the guide band-interleaved, validity. */
export interface TileInput {
  /** Coarse DEM resampled onto the tile's grid, metres, nodata filled; `[height * width]`. */
  readonly coarse: Float32Array;
  /** Guide (NIR, red, green) interleaved, source units; `[height * width * 3]`. */
  readonly guide: Float32Array;
  /** 1 where the coarse DEM has a value. */
  readonly valid: Uint8Array;
}

/** A tile's place in the grid. */
export interface TileWindow {
  /** Column of the tile's first pixel. */
  readonly x: number;
  /** Row of the tile's first pixel. */
  readonly y: number;
  /** Tile width (the same for every tile). */
  readonly width: number;
  /** Tile height. */
  readonly height: number;
}

/** The pixels a tile owns: rows `[rowFrom, rowTo)` and columns `[columnFrom, columnTo)` of the grid. */
export interface OwnedPixels {
  readonly rowFrom: number;
  readonly rowTo: number;
  readonly columnFrom: number;
  readonly columnTo: number;
}

/** Tiling of {@link predictInTiles}. */
export interface TilingOptions {
  readonly tile: number;
  readonly overlap: number;
  readonly batch: number;
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

/** Checks tile size, overlap and batch, naming the caller. */
export function checkTiling(caller: string, { tile, overlap, batch }: TilingOptions): void {
  if (!Number.isInteger(tile) || tile < 8)
    throw new RangeError(`${caller}: tile must be an integer >= 8, got ${tile}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile) {
    throw new RangeError(`${caller}: overlap must be an integer in [0, tile), got ${overlap}`);
  }
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`${caller}: batch must be a positive integer, got ${batch}`);
  }
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

/** Rows of tiles that {@link predictInTiles} skips, and what it reports as each row of tiles completes. */
export interface TileRowHooks {
  /** Whether the row of tiles `rowIndex` is already done (its tiles are not run). */
  readonly skipRow?: (rowIndex: number) => boolean;
  /** Called once every tile of row `rowIndex` has been used; the row owns grid rows `[rowFrom, rowTo)`. */
  readonly onRowDone?: (rowIndex: number, rowFrom: number, rowTo: number) => Promise<void>;
}

/**
 * The rows of tiles of a grid: for each, its first grid row and the grid rows it owns `[rowFrom, rowTo)`.
 *
 * @param height - Grid rows.
 * @param tiling - Tile size and overlap.
 * @returns One entry per row of tiles, top to bottom.
 */
export function tileRows(
  height: number,
  tiling: Pick<TilingOptions, 'tile' | 'overlap'>,
): { y: number; rowFrom: number; rowTo: number }[] {
  const rows = tileStarts(height, tiling.tile, tiling.overlap);
  const extent = Math.min(tiling.tile, height);
  return rows.map((y, index) => {
    const [rowFrom, rowTo] = ownedRange(rows, index, extent, height);
    return { y, rowFrom, rowTo };
  });
}

/** One tile of a scene: its window, its place among the rows and columns of tiles, and the pixels it owns. */
export interface SceneTile {
  readonly window: TileWindow;
  readonly rowIndex: number;
  readonly columnIndex: number;
  readonly owned: OwnedPixels;
}

/**
 * Every tile of a grid, row by row (the order {@link predictInTiles} runs them in).
 *
 * @param size - The grid's width and height.
 * @param tiling - Tile size and overlap.
 * @returns The tiles; each output pixel is owned by exactly one of them.
 */
export function sceneTiles(
  size: { readonly width: number; readonly height: number },
  tiling: Pick<TilingOptions, 'tile' | 'overlap'>,
): SceneTile[] {
  const columns = tileStarts(size.width, tiling.tile, tiling.overlap);
  const rows = tileRows(size.height, tiling);
  const extent = { width: Math.min(tiling.tile, size.width), height: Math.min(tiling.tile, size.height) };
  return rows.flatMap(({ y, rowFrom, rowTo }, rowIndex) =>
    columns.map((x, columnIndex) => {
      const [columnFrom, columnTo] = ownedRange(columns, columnIndex, extent.width, size.width);
      return {
        window: { x, y, ...extent },
        rowIndex,
        columnIndex,
        owned: { rowFrom, rowTo, columnFrom, columnTo },
      };
    }),
  );
}

/**
 * Runs the model on one group of tiles of a scene in one call (a batch of {@link predictInTiles}).
 *
 * @param model - The model.
 * @param tiles - The group's tiles, all of one size.
 * @param read - Reads one tile's inputs.
 * @returns Each tile's inputs and prediction (NaN where the coarse DEM has no data), in order.
 */
export async function predictTileGroup(
  model: SiranModel,
  tiles: readonly SceneTile[],
  read: (window: TileWindow) => Promise<TileInput>,
): Promise<{ inputs: TileInput[]; predictions: Float32Array[] }> {
  if (tiles.length === 0) return { inputs: [], predictions: [] };
  const inputs = await Promise.all(tiles.map(({ window }) => read(window)));
  const predictions = await predictTiles(model, inputs, tiles[0].window);
  return { inputs, predictions };
}

/**
 * Runs the model over a grid in overlapping tiles, `batch` tiles per call; each output pixel comes from the tile
 * whose centre is nearest.
 *
 * @param model - The model.
 * @param size - The grid's width and height.
 * @param tiling - Tile size, overlap and batch.
 * @param read - Reads one tile's inputs.
 * @param use - Receives each tile's prediction (NaN where the coarse DEM has no data), its inputs and the pixels
 *   it owns, in tile order.
 * @param onProgress - Called after each tile (skipped rows count as done from the start).
 * @param hooks - Rows of tiles to skip, and a call as each row of tiles is complete.
 * @returns The number of tiles run.
 */
export async function predictInTiles(
  model: SiranModel,
  size: { readonly width: number; readonly height: number },
  tiling: TilingOptions,
  read: (window: TileWindow) => Promise<TileInput>,
  use: (window: TileWindow, prediction: Float32Array, input: TileInput, owned: OwnedPixels) => void,
  onProgress?: (done: number, total: number) => void,
  hooks: TileRowHooks = {},
): Promise<number> {
  const all = sceneTiles(size, tiling);
  const lastColumn = all.length > 0 ? all[all.length - 1].columnIndex : 0;
  const windows = all.filter(({ rowIndex }) => !hooks.skipRow?.(rowIndex));
  let done = all.length - windows.length;
  let run = 0;
  for (let first = 0; first < windows.length; first += tiling.batch) {
    const group = windows.slice(first, first + tiling.batch);
    const { inputs, predictions } = await predictTileGroup(model, group, read);
    for (const [index, { window, rowIndex, columnIndex, owned }] of group.entries()) {
      use(window, predictions[index], inputs[index], owned);
      done += 1;
      run += 1;
      onProgress?.(done, all.length);
      if (columnIndex === lastColumn) await hooks.onRowDone?.(rowIndex, owned.rowFrom, owned.rowTo);
    }
  }
  return run;
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
    const prediction = values.slice(offset, offset + size);
    const valid = tile.valid;
    for (let i = 0; i < size; i++) if (valid[i] === 0) prediction[i] = Number.NaN;
    return prediction;
  });
}

/**
 * Interleaves three band-sequential guide bands, replacing nodata (and non-finite values) by each band's mean.
 *
 * @param source - `[3 * size]` band-sequential values.
 * @param size - Pixels per band.
 * @param nodata - The source's nodata value, or `null`.
 * @returns `[size * 3]` interleaved.
 */
export function interleaveGuide(
  source: ArrayLike<number>,
  size: number,
  nodata: number | null,
): Float32Array {
  const guide = new Float32Array(3 * size);
  for (let band = 0; band < 3; band++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < size; i++) {
      const value = source[band * size + i];
      if (value !== nodata && Number.isFinite(value)) {
        sum += value;
        count += 1;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    for (let i = 0; i < size; i++) {
      const value = source[band * size + i];
      guide[i * 3 + band] = value !== nodata && Number.isFinite(value) ? value : mean;
    }
  }
  return guide;
}

/**
 * A tile's coarse input: NaN (no data) replaced by `fill`, so that tiles agree where nodata is near.
 *
 * @param coarse - Coarse values on the tile grid, NaN where missing.
 * @param fill - The fill value.
 * @param guide - The tile's interleaved guide.
 * @returns The tile input.
 */
export function tileInput(coarse: Float32Array, fill: number, guide: Float32Array): TileInput {
  // Plain loops: a typed array's from() with a mapping function is several times slower.
  const filled = new Float32Array(coarse.length);
  const valid = new Uint8Array(coarse.length);
  for (let i = 0; i < coarse.length; i++) {
    const value = coarse[i];
    if (Number.isFinite(value)) {
      filled[i] = value;
      valid[i] = 1;
    } else {
      filled[i] = fill;
    }
  }
  return { coarse: filled, guide, valid };
}
