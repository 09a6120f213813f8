import {
  openRasterFile,
  type RasterSource,
  rasterSourceFromRaster,
  readOnGrid,
  sourceResolutionIn,
} from '@siran/dataset-builder';
import {
  applyGeoTransform,
  type CrsInput,
  type GeoTransform,
  invertGeoTransform,
  readRaster,
  readRasterInfo,
  resolveCrs,
  type TargetGrid,
  targetGridAtResolution,
  windowGeoTransform,
} from '@siran/geo-io';
import ndarray from 'ndarray';
import { interleaveGuide, predictInTiles, type TilingOptions, tileInput } from './internal/tiles.js';
import type { SiranModel } from './model.js';

/** Options for {@link crossScaleSelfCheck}. */
export interface SelfCheckOptions {
  /** Bands of the guide (0-based) for NIR, red and green. */
  readonly guideBands?: readonly [number, number, number];
  /** CRS of the guide when the file has none (PNG/JPEG with a world file). */
  readonly guideCrs?: CrsInput;
  /** Band of the coarse DEM (0-based). */
  readonly coarseBand?: number;
  /** Side of a blending region, in coarse pixels. */
  readonly regionSize?: number;
  /** Tile size in pixels (of the coarse grid, where the check runs). */
  readonly tile?: number;
  /** Overlap between neighbouring tiles, pixels. */
  readonly overlap?: number;
  /** Tiles per model call. */
  readonly batch?: number;
  /** Called after each tile. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Defaults of {@link SelfCheckOptions}. */
export const DEFAULT_SELF_CHECK_OPTIONS: Required<Omit<SelfCheckOptions, 'guideCrs' | 'onProgress'>> = {
  guideBands: [0, 1, 2],
  coarseBand: 0,
  regionSize: 16,
  tile: 128,
  overlap: 32,
  batch: 8,
};

/** The share of the model's correction to keep, region by region, as found by {@link crossScaleSelfCheck}. */
export interface ModelShareMap {
  /** One cell per region, in the guide's CRS (cells are `regionSize` coarse pixels wide). */
  readonly grid: TargetGrid;
  /** Share in [0, 1] of each region, row-major: 0 keeps bicubic, 1 keeps the model. */
  readonly shares: Float32Array;
}

/** What {@link crossScaleSelfCheck} measured on a scene one scale down. */
export interface SelfCheckResult {
  /** Guide pixels per coarse pixel (the super-resolution factor of the scene). */
  readonly factor: number;
  /** Coarse cell size in the guide CRS's units. */
  readonly coarseCellSize: number;
  /** Coarse pixels compared. */
  readonly pixels: number;
  /** RMSE (metres) of the model's reconstruction of the coarse DEM from a twice-coarsened one. */
  readonly modelRmse: number;
  /** RMSE (metres) of bicubic interpolation of the same twice-coarsened DEM. */
  readonly bicubicRmse: number;
  /** `1 - modelRmse / bicubicRmse`: positive where the model helps, negative where it hurts. */
  readonly expectedGain: number;
  /** The single share of the model's correction that minimises the error over the whole scene. */
  readonly sceneShare: number;
  /** RMSE (metres) of bicubic plus the per-region shares of the model's correction (fitted on these pixels). */
  readonly blendedRmse: number;
  /** The per-region shares. */
  readonly shares: ModelShareMap;
}

/**
 * Cross-scale self-check: how well the model does on this scene, measured where the truth is known.
 *
 * The coarse DEM is coarsened once more by the scene's own factor (area mean), then super-resolved back onto
 * the coarse grid twice: by bicubic (cubic convolution) and by the model, with the guide averaged onto the
 * coarse grid. Both are compared with the coarse DEM itself, over the scene and region by region. Where the model
 * beats bicubic one scale down, it is expected to beat it at the full scale too; the per-region shares say how
 * much of the model's correction to keep.
 *
 * @param model - The model.
 * @param coarsePath - Coarse DEM (GeoTIFF), any CRS overlapping the guide.
 * @param guidePath - Guide image (GeoTIFF, or PNG/JPEG with a world file and `guideCrs`).
 * @param options - Bands, region size and tiling; see {@link SelfCheckOptions}.
 * @returns Errors of both methods at the coarse scale, the expected gain and the per-region shares.
 * @throws RangeError if the coarse DEM is not coarser than the guide (factor below 1.5), covers too little of it
 *   to be coarsened once more, or an option is out of range.
 * @remarks The check runs on the coarse grid, whose pixels are `factor^2` fewer than the output's; it holds that
 *   grid's DEM, guide and predictions in memory and reads the guide in strips. The share of a region is the
 *   least-squares weight `w` of `bicubic + w * (model - bicubic)`, at most 1, shrunk towards 0 by how far the
 *   correlation `rho` of the model's correction with bicubic's error is from chance:
 *   `w * max(0, 1 - 4 / (rho^2 n / 4))` for `n` pixels (two standard scores, and a quarter of the pixels counted
 *   as independent). Regions with fewer than a quarter of their pixels valid take the scene's share.
 * @example
 * ```ts
 * const check = await crossScaleSelfCheck(model, 'srtm.tif', 'guide.tif');
 * console.log(`expected gain over bicubic: ${(100 * check.expectedGain).toFixed(1)} %`);
 * ```
 */
export async function crossScaleSelfCheck(
  model: SiranModel,
  coarsePath: string,
  guidePath: string,
  options: SelfCheckOptions = {},
): Promise<SelfCheckResult> {
  const settings = { ...DEFAULT_SELF_CHECK_OPTIONS, ...options };
  const crsOption = settings.guideCrs === undefined ? {} : { crs: settings.guideCrs };
  const info = await readRasterInfo(guidePath, crsOption);
  const grid: TargetGrid = {
    width: info.width,
    height: info.height,
    transform: info.transform,
    crs: info.crs,
  };
  const coarse = rasterSourceFromRaster(await readRaster(coarsePath), coarsePath);
  const guide = await openRasterFile(guidePath, crsOption);
  return selfCheckOnSources(model, coarse, guide, grid, settings, { coarse: coarsePath, guide: guidePath });
}

/** Settings of {@link selfCheckOnSources}: every option resolved. */
export type SelfCheckSettings = typeof DEFAULT_SELF_CHECK_OPTIONS & Pick<SelfCheckOptions, 'onProgress'>;

/**
 * {@link crossScaleSelfCheck} on opened sources (for `predictScene`, which has them open already).
 *
 * @param model - The model.
 * @param coarse - The coarse DEM.
 * @param guide - The guide.
 * @param grid - The output grid (the guide's).
 * @param settings - Resolved options.
 * @param names - The inputs' names, for messages.
 * @param exclude - Coarse-grid pixels left out of the comparison (those a scene adaptation trained on).
 * @returns See {@link crossScaleSelfCheck}.
 */
export async function selfCheckOnSources(
  model: SiranModel,
  coarse: RasterSource,
  guide: RasterSource,
  grid: TargetGrid,
  settings: SelfCheckSettings,
  names: { readonly coarse: string; readonly guide: string },
  exclude?: (column: number, row: number) => boolean,
): Promise<SelfCheckResult> {
  const { regionSize } = settings;
  if (!Number.isInteger(regionSize) || regionSize < 2) {
    throw new RangeError(
      `crossScaleSelfCheck: regionSize must be an integer >= 2 coarse pixels, got ${regionSize}`,
    );
  }
  const data = await coarseScaleData(coarse, guide, grid, settings, names);
  const prediction = await predictOnGrid(model, data, settings);
  const truth =
    exclude === undefined
      ? data.truth
      : data.truth.map((value, i) =>
          exclude(i % data.grid.width, Math.floor(i / data.grid.width)) ? Number.NaN : value,
        );
  return selfCheckStatistics(truth, data.bicubic, prediction, data.grid, {
    factor: data.factor,
    coarseCell: data.coarseCell,
    regionSize,
  });
}

/** A scene one scale down: the coarse DEM, bicubic of it coarsened once more, and the guide, on the coarse grid. */
export interface CoarseScaleData {
  /** The coarse grid over the output grid. */
  readonly grid: TargetGrid;
  /** The coarse DEM on it, metres (NaN where missing). */
  readonly truth: Float32Array;
  /** Bicubic of the twice-coarsened DEM on it, metres. */
  readonly bicubic: Float32Array;
  /** The guide's three bands averaged onto it, band-sequential, source units (NaN where missing). */
  readonly guide: Float32Array;
  /** Guide pixels per coarse pixel. */
  readonly factor: number;
  /** Coarse cell size in the guide CRS's units. */
  readonly coarseCell: number;
}

/**
 * The data of the self-check and of scene adaptation: the scene one scale down.
 *
 * @param coarse - The coarse DEM (metres).
 * @param guide - The guide.
 * @param grid - The output grid (the guide's).
 * @param settings - Bands.
 * @param names - The inputs' names, for messages.
 * @returns The coarse grid with its DEM, bicubic of the twice-coarsened DEM, the averaged guide and the factor.
 * @throws RangeError if the coarse DEM is not 1.5 times coarser than the guide or too small to coarsen again.
 */
export async function coarseScaleData(
  coarse: RasterSource,
  guide: RasterSource,
  grid: TargetGrid,
  settings: Pick<SelfCheckSettings, 'coarseBand' | 'guideBands'>,
  names: { readonly coarse: string; readonly guide: string },
): Promise<CoarseScaleData> {
  const fineCell = Math.sqrt(
    Math.abs(grid.transform[1] * grid.transform[5] - grid.transform[2] * grid.transform[4]),
  );
  const coarseCell = sourceResolutionIn(coarse, grid.crs);
  const factor = coarseCell / fineCell;
  if (!(factor >= 1.5)) {
    throw new RangeError(
      `crossScaleSelfCheck: the coarse DEM ${names.coarse} has cells of ${round(coarseCell)} against ${round(fineCell)} for the guide ${names.guide} (factor ${round(factor)}); expected a coarse DEM at least 1.5 times coarser than the guide`,
    );
  }
  // Level 1: the coarse grid over the guide (the coarse pixels themselves when the CRSs agree).
  const level1 = coarseGridOver(coarse, grid, coarseCell);
  const truth = await readOnGrid(coarse, [settings.coarseBand], level1, 'cubic');
  // Level 2: coarsened once more by the same factor, then back by cubic convolution.
  const level2 = targetGridAtResolution(level1, coarseCell * factor);
  if (level2.width < 2 || level2.height < 2) {
    throw new RangeError(
      `crossScaleSelfCheck: the guide ${names.guide} covers ${level1.width} x ${level1.height} coarse pixels of ${names.coarse}; the check needs at least ${Math.ceil(2 * factor)} x ${Math.ceil(2 * factor)} to coarsen it once more by ${round(factor)} (predict such a small scene without the check: selfCheck false, siran predict --no-self-check)`,
    );
  }
  const inMemory = (values: Float32Array, on: TargetGrid, description: string) =>
    rasterSourceFromRaster(
      {
        data: ndarray(values, [1, on.height, on.width]),
        transform: on.transform,
        crs: resolveCrs(on.crs),
        nodata: null,
      },
      description,
    );
  const coarser = await readOnGrid(
    inMemory(truth, level1, `${names.coarse} on the coarse grid`),
    [0],
    level2,
    'average',
  );
  const bicubic = await readOnGrid(
    inMemory(coarser, level2, `${names.coarse} coarsened`),
    [0],
    level1,
    'cubic',
  );
  const guideBands = await readGuideOnGrid(guide, settings.guideBands, level1);
  return { grid: level1, truth, bicubic, guide: guideBands, factor, coarseCell };
}

/** Standard scores a correlation must reach before any of the model's correction is kept. */
const SHARE_Z = 2;

/** Pixels per independent error sample (neighbouring errors are correlated). */
const NEIGHBOUR_CORRELATION = 4;

/** The coarse grid over the output grid: the covering window of the coarse DEM itself, or a grid in the guide's CRS. */
function coarseGridOver(coarse: RasterSource, grid: TargetGrid, coarseCell: number): TargetGrid {
  const crs = resolveCrs(grid.crs);
  const northUp = (t: GeoTransform) => t[2] === 0 && t[4] === 0;
  if (coarse.crs.proj4 !== crs.proj4 || !northUp(coarse.transform) || !northUp(grid.transform)) {
    return targetGridAtResolution(grid, coarseCell);
  }
  const inverse = invertGeoTransform(coarse.transform);
  const corners = [
    [0, 0],
    [grid.width, 0],
    [0, grid.height],
    [grid.width, grid.height],
  ].map(([column, row]) => applyGeoTransform(inverse, ...applyGeoTransform(grid.transform, column, row)));
  const clamp = (value: number, size: number) => Math.min(size, Math.max(0, value));
  // A coarse pixel enters when more than a tenth of it lies under the guide.
  const x0 = clamp(Math.floor(Math.min(...corners.map(([x]) => x)) + 0.1), coarse.width);
  const x1 = clamp(Math.ceil(Math.max(...corners.map(([x]) => x)) - 0.1), coarse.width);
  const y0 = clamp(Math.floor(Math.min(...corners.map(([, y]) => y)) + 0.1), coarse.height);
  const y1 = clamp(Math.ceil(Math.max(...corners.map(([, y]) => y)) - 0.1), coarse.height);
  return {
    width: Math.max(1, x1 - x0),
    height: Math.max(1, y1 - y0),
    transform: windowGeoTransform(coarse.transform, x0, y0),
    crs,
  };
}

/** The guide's three bands averaged onto a grid, band-sequential, read in strips of rows. */
async function readGuideOnGrid(
  guide: RasterSource,
  bands: readonly [number, number, number],
  grid: TargetGrid,
): Promise<Float32Array> {
  const size = grid.width * grid.height;
  const values = new Float32Array(3 * size);
  const strip = 64;
  for (let row = 0; row < grid.height; row += strip) {
    const height = Math.min(strip, grid.height - row);
    const part: TargetGrid = { ...grid, height, transform: windowGeoTransform(grid.transform, 0, row) };
    const read = await readOnGrid(guide, bands, part, 'average');
    for (let band = 0; band < 3; band++) {
      values.set(
        read.subarray(band * height * grid.width, (band + 1) * height * grid.width),
        band * size + row * grid.width,
      );
    }
  }
  return values;
}

/**
 * The model's prediction on the coarse grid, from bicubic of the twice-coarsened DEM and the averaged guide.
 *
 * @param model - The model.
 * @param data - From {@link coarseScaleData}.
 * @param tiling - Tiles, overlap, batch and progress.
 * @returns The prediction on `data.grid`, NaN where the input has none.
 */
export async function predictOnGrid(
  model: SiranModel,
  data: CoarseScaleData,
  tiling: TilingOptions & Pick<SelfCheckOptions, 'onProgress'>,
): Promise<Float32Array> {
  const { grid, bicubic: coarse, guide } = data;
  const size = grid.width * grid.height;
  const output = new Float32Array(size).fill(Number.NaN);
  let sum = 0;
  let count = 0;
  for (const value of coarse) {
    if (Number.isFinite(value)) {
      sum += value;
      count += 1;
    }
  }
  const fill = count > 0 ? sum / count : 0;
  const window = (
    source: Float32Array,
    bands: number,
    x: number,
    y: number,
    width: number,
    height: number,
  ) => {
    const values = new Float32Array(bands * width * height);
    for (let band = 0; band < bands; band++) {
      for (let row = 0; row < height; row++) {
        const from = band * size + (y + row) * grid.width + x;
        values.set(source.subarray(from, from + width), (band * height + row) * width);
      }
    }
    return values;
  };
  await predictInTiles(
    model,
    grid,
    tiling,
    async ({ x, y, width, height }) =>
      tileInput(
        window(coarse, 1, x, y, width, height),
        fill,
        interleaveGuide(window(guide, 3, x, y, width, height), width * height, null),
      ),
    ({ x, y, width }, prediction, _input, owned) => {
      for (let row = owned.rowFrom; row < owned.rowTo; row++) {
        for (let column = owned.columnFrom; column < owned.columnTo; column++) {
          output[row * grid.width + column] = prediction[(row - y) * width + (column - x)];
        }
      }
    },
    tiling.onProgress,
  );
  return output;
}

/**
 * Errors over the coarse grid and the least-squares shares per region (exported for tests).
 *
 * @param truth - The coarse DEM on its grid.
 * @param bicubic - Bicubic of the twice-coarsened DEM on the same grid.
 * @param prediction - The model's on the same grid.
 * @param grid - The coarse grid.
 * @param context - Factor, coarse cell size and region side (coarse pixels).
 * @returns The self-check's result.
 */
export function selfCheckStatistics(
  truth: Float32Array,
  bicubic: Float32Array,
  prediction: Float32Array,
  grid: TargetGrid,
  { factor, coarseCell, regionSize }: { factor: number; coarseCell: number; regionSize: number },
): SelfCheckResult {
  const columns = Math.ceil(grid.width / regionSize);
  const rows = Math.ceil(grid.height / regionSize);
  const regions = columns * rows;
  // Per region: count, sum (t - b)^2, sum (t - b)(p - b), sum (p - b)^2.
  const count = new Float64Array(regions);
  const bicubicSquares = new Float64Array(regions);
  const cross = new Float64Array(regions);
  const correctionSquares = new Float64Array(regions);
  for (let row = 0; row < grid.height; row++) {
    for (let column = 0; column < grid.width; column++) {
      const i = row * grid.width + column;
      const t = truth[i];
      const b = bicubic[i];
      const p = prediction[i];
      if (!(Number.isFinite(t) && Number.isFinite(b) && Number.isFinite(p))) continue;
      const region = Math.floor(row / regionSize) * columns + Math.floor(column / regionSize);
      count[region] += 1;
      bicubicSquares[region] += (t - b) ** 2;
      cross[region] += (t - b) * (p - b);
      correctionSquares[region] += (p - b) ** 2;
    }
  }
  const total = (values: Float64Array) => values.reduce((sum, value) => sum + value, 0);
  const pixels = total(count);
  if (pixels === 0) {
    throw new RangeError(
      'crossScaleSelfCheck: no coarse pixel has a value, a coarser value and a prediction',
    );
  }
  // The least-squares share, shrunk towards 0 by how far the correlation of correction and error is from
  // chance: w = w_ls * max(0, 1 - z^2 / (rho^2 n_eff)), with z = 2 and n_eff = n / 4 (neighbouring errors are
  // correlated). A correction that only correlates by chance keeps nothing of it.
  const share = (pixels: number, errors: number, numerator: number, denominator: number) => {
    if (!(denominator > 0) || !(errors > 0) || numerator <= 0) return 0;
    const correlationSquared = (numerator * numerator) / (errors * denominator);
    const shrink = Math.max(0, 1 - SHARE_Z ** 2 / (correlationSquared * (pixels / NEIGHBOUR_CORRELATION)));
    return Math.min(1, numerator / denominator) * shrink;
  };
  const sceneShare = share(pixels, total(bicubicSquares), total(cross), total(correctionSquares));
  const shares = new Float32Array(regions);
  let blendedSquares = 0;
  for (let region = 0; region < regions; region++) {
    const w =
      count[region] >= (regionSize * regionSize) / 4
        ? share(count[region], bicubicSquares[region], cross[region], correctionSquares[region])
        : sceneShare;
    shares[region] = w;
    blendedSquares += bicubicSquares[region] - 2 * w * cross[region] + w * w * correctionSquares[region];
  }
  const bicubicRmse = Math.sqrt(total(bicubicSquares) / pixels);
  const modelRmse = Math.sqrt((total(bicubicSquares) - 2 * total(cross) + total(correctionSquares)) / pixels);
  const t = grid.transform;
  return {
    factor,
    coarseCellSize: coarseCell,
    pixels,
    modelRmse,
    bicubicRmse,
    expectedGain: bicubicRmse > 0 ? 1 - modelRmse / bicubicRmse : 0,
    sceneShare,
    blendedRmse: Math.sqrt(Math.max(0, blendedSquares) / pixels),
    shares: {
      grid: {
        width: columns,
        height: rows,
        transform: [t[0], t[1] * regionSize, t[2] * regionSize, t[3], t[4] * regionSize, t[5] * regionSize],
        crs: grid.crs,
      },
      shares,
    },
  };
}

/**
 * A function giving the model's share at pixel centres of an output grid: bilinear between region centres,
 * constant beyond the outer ones.
 *
 * @param map - The per-region shares.
 * @param grid - The output grid (same CRS as the map).
 * @returns `(column, row) => share` for the pixel whose top-left corner is `(column, row)`.
 */
export function modelShareSampler(
  map: ModelShareMap,
  grid: TargetGrid,
): (column: number, row: number) => number {
  const inverse = invertGeoTransform(map.grid.transform);
  const t = grid.transform;
  // Region coordinates of output pixel centres, as one affine map.
  const origin = applyGeoTransform(inverse, ...applyGeoTransform(t, 0.5, 0.5));
  const stepX = applyGeoTransform(inverse, ...applyGeoTransform(t, 1.5, 0.5));
  const stepY = applyGeoTransform(inverse, ...applyGeoTransform(t, 0.5, 1.5));
  const { width, height } = map.grid;
  const at = (column: number, row: number) =>
    map.shares[Math.min(height - 1, Math.max(0, row)) * width + Math.min(width - 1, Math.max(0, column))];
  return (column, row) => {
    const u = origin[0] + column * (stepX[0] - origin[0]) + row * (stepY[0] - origin[0]) - 0.5;
    const v = origin[1] + column * (stepX[1] - origin[1]) + row * (stepY[1] - origin[1]) - 0.5;
    const u0 = Math.floor(u);
    const v0 = Math.floor(v);
    const fu = Math.min(1, Math.max(0, u - u0));
    const fv = Math.min(1, Math.max(0, v - v0));
    return (
      (1 - fv) * ((1 - fu) * at(u0, v0) + fu * at(u0 + 1, v0)) +
      fv * ((1 - fu) * at(u0, v0 + 1) + fu * at(u0 + 1, v0 + 1))
    );
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
