import {
  metresPerVerticalUnit,
  openRasterFile,
  type RasterSource,
  rasterSourceFromRaster,
  readOnGrid,
  type VerticalUnit,
} from '@siran/dataset-builder';
import {
  type CrsInput,
  type Raster,
  readRaster,
  type TargetGrid,
  targetGridAtResolution,
  windowGeoTransform,
  writeRaster,
} from '@siran/geo-io';
import ndarray from 'ndarray';
import { type AdaptOptions, type AdaptResult, adaptOnSources } from './adapt.js';
import { isAblated } from './config.js';
import { checkGuideStatistics, coarseMetresPerUnit, coarseToMetres, sampleGuide } from './input-checks.js';
import {
  PartialOutput,
  type PartialRowStats,
  predictionFingerprint,
  removeStaleTemporaries,
} from './internal/partial-output.js';
import {
  checkTiling,
  interleaveGuide,
  predictInTiles,
  type TileInput,
  tileInput,
  tileRows,
} from './internal/tiles.js';
import type { SiranModel } from './model.js';
import {
  describeOutputCheck,
  OutputCheck,
  type OutputCheckOptions,
  type OutputCheckResult,
} from './output-checks.js';
import {
  DEFAULT_SELF_CHECK_OPTIONS,
  modelShareSampler,
  type SelfCheckResult,
  selfCheckOnSources,
} from './self-check.js';

export { tileStarts } from './internal/tiles.js';

/**
 * What `predictScene` does with the cross-scale self-check: `'bicubic'` blends the model's output towards bicubic
 * region by region, by the share of the model's correction that helped one scale down; `'none'` keeps the model's
 * output as it is (the check is still run and reported unless `selfCheck` is false).
 */
export type PredictFallback = 'bicubic' | 'none';

/** Options for {@link predictScene}. */
export interface PredictSceneOptions {
  /** Bands of the guide (0-based) for NIR, red and green. */
  readonly guideBands?: readonly [number, number, number];
  /** CRS of the guide when the file has none (PNG/JPEG with a world file). */
  readonly guideCrs?: CrsInput;
  /** Band of the coarse DEM (0-based). */
  readonly coarseBand?: number;
  /**
   * Unit of the coarse DEM's heights. Without it they are taken as metres, and a coarse DEM whose CRS is in feet
   * is refused (with `checkInputs`) rather than guessed.
   */
  readonly coarseVerticalUnit?: VerticalUnit;
  /**
   * Check the inputs before any work: coarse heights within -1000..9000 m, and guide statistics (on a sample of
   * windows) of the kind the model was trained on (see `checkGuideStatistics`).
   */
  readonly checkInputs?: boolean;
  /**
   * Tile size in pixels. Default: {@link recommendedTileSize} of the model (256 for a purely convolutional model,
   * 128 for one with attention over the whole tile).
   */
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
  /** Run the cross-scale self-check first (see `crossScaleSelfCheck`). */
  readonly selfCheck?: boolean;
  /** What to do with the self-check's result; see {@link PredictFallback}. Ignored without the self-check. */
  readonly fallback?: PredictFallback;
  /** Side of a self-check blending region, in coarse pixels. */
  readonly regionSize?: number;
  /**
   * Scene adaptation before predicting (see `adaptOnSources`): fine-tune the model on the scene one scale down,
   * kept only if it helps on held-out blocks. `false` (the default) predicts with the model as it is. The model's
   * weights change when the adaptation is kept.
   */
  readonly adapt?: AdaptOptions | false;
  /**
   * Margins of the output check (see `OutputCheck`): every pixel with a coarse value must be predicted finite and
   * within the coarse DEM's range over the scene widened by the margin. The result is in the metadata.
   */
  readonly outputCheck?: OutputCheckOptions;
  /** Refuse to write an output that fails the output check (an error, and no file) instead of flagging it. */
  readonly strict?: boolean;
  /**
   * Keep finished rows of tiles next to the output (`<out>.partial/`) while predicting, and reuse them when the same
   * prediction (same model and weights, backend, input files and options) was interrupted: a killed run started
   * again predicts only what it had not finished. The directory is removed once the output is written.
   */
  readonly resume?: boolean;
  /**
   * Cancels the prediction: checked between tiles (of the self-check too); the prediction then rejects with the
   * signal's reason and writes nothing.
   */
  readonly signal?: AbortSignal;
  /** Called after each tile (the self-check's tiles first, under the stage `'self-check'`). */
  readonly onProgress?: (done: number, total: number, stage: 'self-check' | 'predict') => void;
}

/** Defaults of {@link PredictSceneOptions}. */
export const DEFAULT_PREDICT_SCENE_OPTIONS: Required<
  Omit<PredictSceneOptions, 'guideCrs' | 'onProgress' | 'coarseVerticalUnit' | 'outputCheck' | 'signal'>
> = {
  guideBands: [0, 1, 2],
  coarseBand: 0,
  checkInputs: true,
  tile: 128,
  overlap: 32,
  nodata: -9999,
  batch: 8,
  selfCheck: true,
  fallback: 'bicubic',
  regionSize: DEFAULT_SELF_CHECK_OPTIONS.regionSize,
  adapt: false,
  strict: false,
  resume: true,
};

/** What {@link predictScene} wrote. */
export interface PredictSceneResult {
  /** The output grid (the guide's). */
  readonly grid: TargetGrid;
  /** Tiles run through the model (not counting those of reused rows). */
  readonly tiles: number;
  /** Rows of tiles reused from an interrupted run of the same prediction (see `resume`). */
  readonly reusedRows: number;
  /** Output pixels with a value (the rest are nodata). */
  readonly validPixels: number;
  /** The output nodata value. */
  readonly nodata: number;
  /** The cross-scale self-check, or `null` when it was switched off. */
  readonly selfCheck: SelfCheckResult | null;
  /** The scene adaptation, or `null` without `adapt`. */
  readonly adaptation: AdaptResult | null;
  /** The fallback applied (`'none'` without the self-check). */
  readonly fallback: PredictFallback;
  /** Mean share of the model's correction kept over the valid output pixels (1 without blending). */
  readonly modelShare: number;
  /** The output check: non-finite and implausible pixels (see `OutputCheck`). */
  readonly outputCheck: OutputCheckResult;
  /** The metadata written into the output GeoTIFF. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** A finished prediction in memory: the float32 DEM in metres on the guide's grid, and what was done. */
export interface PredictRasterResult extends PredictSceneResult {
  /** The prediction: one float32 band in metres on the guide's grid, `nodata` where the coarse DEM has none. */
  readonly raster: Raster;
}

/** Options for {@link predictRaster}: those of {@link predictScene} without the files' own (`guideCrs`, `resume`). */
export interface PredictRasterOptions extends Omit<PredictSceneOptions, 'guideCrs' | 'resume'> {
  /** Name of the coarse DEM in messages. Default `'coarse DEM'`. */
  readonly coarseName?: string;
}

/** Finished rows of tiles kept between runs (see `PartialOutput`). */
interface RowStore {
  has(index: number): boolean;
  restore(index: number, output: Float32Array): Promise<PartialRowStats | null>;
  save(
    index: number,
    output: Float32Array,
    rowFrom: number,
    rowTo: number,
    stats: PartialRowStats,
  ): Promise<void>;
}

/**
 * Super-resolves a whole scene: reads the coarse DEM onto the guide's grid (cubic convolution), runs the model
 * over overlapping tiles and writes a float32 cloud-optimised GeoTIFF in metres on the guide's grid.
 *
 * Unless `selfCheck` is false, a cross-scale self-check runs first (the coarse DEM coarsened once more and
 * super-resolved back, against bicubic); its expected gain goes into the output's metadata, and with the default
 * `fallback: 'bicubic'` the output is `bicubic + share * (model - bicubic)`, the share of each region being the
 * one that was best one scale down (interpolated between region centres).
 *
 * @param model - The model.
 * @param coarsePath - Coarse DEM (GeoTIFF), any CRS and resolution overlapping the guide.
 * @param guidePath - Guide image (GeoTIFF, or PNG/JPEG with a world file and `guideCrs`).
 * @param outPath - Output GeoTIFF; written to a temporary file and renamed, so it is complete or absent.
 * @param options - Bands, tiling, nodata, self-check and fallback; see {@link PredictSceneOptions}.
 * @returns The grid, the number of tiles and of valid pixels, the self-check and the metadata written.
 * @throws RangeError, before any work, if the coarse DEM and the guide do not overlap, the guide has too few bands,
 *   the tiling options are out of range, (with `checkInputs`) the coarse heights are not metres or the guide's
 *   values are not of the kind the model was trained on, or (with the self-check) the coarse DEM is not coarser
 *   than the guide; and, with `strict`, after predicting and before writing, if the prediction fails the output
 *   check (non-finite values, or values outside the coarse DEM's range widened by the margin). The `signal`'s
 *   reason when it is aborted (between tiles); nothing is written then, and finished rows are kept for `resume`.
 * @remarks Memory holds the coarse DEM (small by nature), one batch of tiles of each input and the output grid.
 *   Each output pixel comes from the tile whose centre is nearest, at least `overlap / 2` pixels from that
 *   tile's border. Pixels where the coarse DEM is nodata are nodata in the output; guide nodata is replaced by
 *   the band mean. {@link predictRaster} does the same on rasters in memory and returns the prediction.
 */
export async function predictScene(
  model: SiranModel,
  coarsePath: string,
  guidePath: string,
  outPath: string,
  options: PredictSceneOptions = {},
): Promise<PredictSceneResult> {
  const crsOption = options.guideCrs === undefined ? {} : { crs: options.guideCrs };
  const guideSource = await openRasterFile(guidePath, crsOption);
  const coarseRaster = await readRaster(coarsePath);
  const resume = options.resume ?? DEFAULT_PREDICT_SCENE_OPTIONS.resume;
  await removeStaleTemporaries(outPath);
  let partial: PartialOutput | null = null;
  const { raster, ...result } = await predictOnSources(
    model,
    coarseRaster,
    coarsePath,
    guideSource,
    options,
    resume
      ? async (settings, selfCheck, grid) => {
          partial = await PartialOutput.open(
            outPath,
            await predictionFingerprint(model, [coarsePath, guidePath], {
              ...settings,
              onProgress: undefined,
              signal: undefined,
              adapt: undefined,
              selfCheck: selfCheck === null ? null : selfCheck.shares,
            }),
            grid,
          );
          return partial;
        }
      : null,
    outPath,
  );
  await writeRaster(outPath, raster, {
    compression: 'deflate',
    tileSize: 256,
    metadata: result.metadata,
    layout: 'cog',
    predictor: 'auto',
    bands: [{ description: 'elevation', unit: 'm' }],
  });
  await (partial as PartialOutput | null)?.remove();
  return result;
}

/**
 * {@link predictScene} on rasters in memory (a browser, a server that holds its inputs, a pipeline): the same
 * prediction, self-check, fallback and output check, returned as a raster instead of written. Encode it with
 * geo-io's `encodeRaster` (`layout: 'cog'`) for the bytes of the GeoTIFF `predictScene` writes.
 *
 * @param model - The model.
 * @param coarse - The coarse DEM (its heights are converted to metres in place when `coarseVerticalUnit` says
 *   another unit).
 * @param guide - The guide image, e.g. `rasterSourceFromRaster(await readRaster(bytes), 'guide.tif')`; its
 *   `description` names it in messages.
 * @param options - As for {@link predictScene}, without the files' own options; `coarseName` names the coarse DEM.
 * @returns The prediction and what {@link predictScene} returns (its metadata are those of the GeoTIFF).
 * @throws The errors of {@link predictScene}.
 * @example
 * ```ts
 * const coarse = await readRaster(coarseBytes);
 * const guide = rasterSourceFromRaster(await readRaster(guideBytes), 'guide.tif');
 * const { raster, metadata } = await predictRaster(model, coarse, guide);
 * const tiff = await encodeRaster(raster, { layout: 'cog', compression: 'deflate', metadata });
 * ```
 */
export async function predictRaster(
  model: SiranModel,
  coarse: Raster,
  guide: RasterSource,
  options: PredictRasterOptions = {},
): Promise<PredictRasterResult> {
  return predictOnSources(model, coarse, options.coarseName ?? 'coarse DEM', guide, options, null, null);
}

/** The work of {@link predictScene} and {@link predictRaster}: everything but reading and writing files. */
async function predictOnSources(
  model: SiranModel,
  coarseRaster: Raster,
  coarseName: string,
  guideSource: RasterSource,
  options: PredictSceneOptions,
  openRowStore:
    | ((
        settings: typeof DEFAULT_PREDICT_SCENE_OPTIONS & PredictSceneOptions,
        selfCheck: SelfCheckResult | null,
        grid: TargetGrid,
      ) => Promise<RowStore>)
    | null,
  outName: string | null,
): Promise<PredictRasterResult> {
  const settings = {
    ...DEFAULT_PREDICT_SCENE_OPTIONS,
    ...options,
    tile: options.tile ?? recommendedTileSize(model),
  };
  checkTiling('predictScene', settings);
  if (settings.fallback !== 'bicubic' && settings.fallback !== 'none') {
    throw new RangeError(
      `predictScene: fallback must be 'bicubic' or 'none', got ${String(settings.fallback)}`,
    );
  }
  const { signal } = settings;
  signal?.throwIfAborted();
  const guidePath = guideSource.description;
  const coarsePath = coarseName;
  for (const band of settings.guideBands) {
    if (band < 0 || band >= guideSource.bandCount) {
      throw new RangeError(
        `predictScene: ${guidePath} has ${guideSource.bandCount} band(s); guide band ${band + 1} (NIR, R, G: ${settings.guideBands.map((b) => b + 1)}) does not exist`,
      );
    }
  }
  const grid: TargetGrid = {
    width: guideSource.width,
    height: guideSource.height,
    transform: guideSource.transform,
    crs: guideSource.crs,
  };
  if (settings.checkInputs) {
    checkGuideStatistics(
      await sampleGuide(guideSource, settings.guideBands),
      model.normalization,
      settings.guideBands,
      guidePath,
    );
  }
  const metresPerUnit = settings.checkInputs
    ? coarseMetresPerUnit(settings.coarseVerticalUnit, coarseRaster.crs, coarsePath)
    : metresPerVerticalUnit(settings.coarseVerticalUnit, coarseRaster.crs);
  coarseToMetres(coarseRaster, settings.coarseBand, metresPerUnit, coarsePath, settings.checkInputs);
  const coarse = rasterSourceFromRaster(coarseRaster, coarsePath);
  const coarseRange = await checkOverlap(coarse, settings.coarseBand, grid, coarsePath, guidePath);
  const outputCheck = new OutputCheck(coarseRange.minimum, coarseRange.maximum, settings.outputCheck);
  const names = { coarse: coarsePath, guide: guidePath };
  const selfCheckProgress = (done: number, total: number) => {
    signal?.throwIfAborted();
    settings.onProgress?.(done, total, 'self-check');
  };
  const adaptation =
    settings.adapt === false
      ? null
      : await adaptOnSources(
          model,
          coarse,
          guideSource,
          grid,
          { ...settings, onProgress: selfCheckProgress },
          names,
          settings.adapt,
        );
  const selfCheck = settings.selfCheck
    ? await selfCheckOnSources(
        model,
        coarse,
        guideSource,
        grid,
        { ...settings, onProgress: selfCheckProgress },
        names,
        // After a kept adaptation, only the blocks held out of it are fair evidence.
        adaptation?.kept ? adaptation.isTrainingPixel : undefined,
      )
    : null;
  const fallback: PredictFallback = selfCheck === null ? 'none' : settings.fallback;
  const share =
    selfCheck !== null && fallback === 'bicubic' ? modelShareSampler(selfCheck.shares, grid) : null;
  const fill = validMean(coarseRaster, settings.coarseBand);
  const output = new Float32Array(grid.width * grid.height).fill(settings.nodata);
  const partial = openRowStore === null ? null : await openRowStore(settings, selfCheck, grid);
  let validPixels = 0;
  let shareSum = 0;
  let rowStats = { validPixels: 0, shareSum: 0, check: outputCheck.fresh() };
  const restored = new Set<number>();
  const rowCount = tileRows(grid.height, settings).length;
  for (let index = 0; index < rowCount; index++) {
    const stats = partial?.has(index) ? await partial.restore(index, output) : null;
    if (stats === null) continue;
    restored.add(index);
    validPixels += stats.validPixels;
    shareSum += stats.shareSum;
    outputCheck.merge(stats.check);
  }
  const tiles = await predictInTiles(
    model,
    grid,
    settings,
    rowBandReader(coarse, fill, guideSource, grid, settings),
    ({ x, y, width }, prediction, input, owned) => {
      const check = rowStats.check;
      for (let row = owned.rowFrom; row < owned.rowTo; row++) {
        for (let column = owned.columnFrom; column < owned.columnTo; column++) {
          const i = (row - y) * width + (column - x);
          if (input.valid[i] === 0) continue;
          const value = prediction[i];
          if (!Number.isFinite(value)) {
            check.add(value); // stays nodata, and is counted
            continue;
          }
          const w = share === null ? 1 : share(column, row);
          const blended = input.coarse[i] + w * (value - input.coarse[i]);
          output[row * grid.width + column] = blended;
          check.add(blended);
          rowStats.validPixels += 1;
          rowStats.shareSum += w;
        }
      }
    },
    (done, total) => {
      signal?.throwIfAborted();
      settings.onProgress?.(done, total, 'predict');
    },
    {
      skipRow: (index) => restored.has(index),
      onRowDone: async (index, rowFrom, rowTo) => {
        const stats = {
          validPixels: rowStats.validPixels,
          shareSum: rowStats.shareSum,
          check: rowStats.check.counts(),
        };
        await partial?.save(index, output, rowFrom, rowTo, stats);
        validPixels += stats.validPixels;
        shareSum += stats.shareSum;
        outputCheck.merge(stats.check);
        rowStats = { validPixels: 0, shareSum: 0, check: outputCheck.fresh() };
      },
    },
  );
  const modelShare = validPixels > 0 ? shareSum / validPixels : 1;
  const checked = outputCheck.result();
  if (!checked.ok && settings.strict) {
    throw new RangeError(
      `predictScene: the prediction of ${coarsePath} with ${guidePath} failed the ${describeOutputCheck(checked)}; refused (strict)${outName === null ? '' : `, nothing written to ${outName}`}`,
    );
  }
  const metadata = {
    ...predictionMetadata(model, selfCheck, fallback, modelShare, adaptation),
    ...outputCheckMetadata(checked),
  };
  const raster: Raster = {
    data: ndarray(output, [1, grid.height, grid.width]),
    transform: grid.transform,
    crs: grid.crs,
    nodata: settings.nodata,
  };
  return {
    raster,
    grid,
    tiles,
    reusedRows: restored.size,
    validPixels,
    nodata: settings.nodata,
    selfCheck,
    adaptation,
    fallback,
    modelShare,
    outputCheck: checked,
    metadata,
  };
}

/** The output check in the GeoTIFF metadata. */
function outputCheckMetadata(check: OutputCheckResult): Record<string, string> {
  return {
    SIRAN_OUTPUT_CHECK: check.ok ? 'ok' : 'flagged',
    SIRAN_OUTPUT_NONFINITE: String(check.nonFinite),
    SIRAN_OUTPUT_IMPLAUSIBLE: String(check.implausible),
    SIRAN_OUTPUT_PLAUSIBLE_RANGE: `${check.plausibleMinimum.toFixed(3)} ${check.plausibleMaximum.toFixed(3)}`,
    SIRAN_OUTPUT_RANGE: `${check.minimum.toFixed(3)} ${check.maximum.toFixed(3)}`,
  };
}

/**
 * The default tile size of {@link predictScene} for a model: 256 px when its output at a pixel depends only on a
 * neighbourhood (a convolutional generator: FSGT switched off, and no discriminator spatial attention, whose
 * polarised self-attention pools over the whole tile), else 128 px, the size attention models are run at.
 *
 * Larger tiles spend less of the work on the overlap: at 32 px of overlap a 256 px tile recomputes 31 % of its
 * pixels, a 128 px tile 78 %. For a convolutional model the two sizes agree to millimetres (the receptive field
 * beyond the overlap's margin), so the larger one is the default; attention over the whole tile would see a
 * different context at another size, so those models keep the smaller one.
 *
 * @param model - The model.
 * @returns The tile size in pixels.
 */
export function recommendedTileSize(model: SiranModel): number {
  const { config } = model;
  const convolutional =
    (config.body === 'dmrb' || isAblated(config, 'no-fsgt')) && isAblated(config, 'no-dsa');
  return convolutional ? 256 : DEFAULT_PREDICT_SCENE_OPTIONS.tile;
}

/** The GeoTIFF metadata of a prediction: the model, and the self-check with what was done with it. */
function predictionMetadata(
  model: SiranModel,
  check: SelfCheckResult | null,
  fallback: PredictFallback,
  modelShare: number,
  adaptation: AdaptResult | null,
): Record<string, string> {
  const metadata: Record<string, string> = {
    SIRAN_MODEL_PRESET: model.config.preset,
    SIRAN_UNITS: 'metre',
    SIRAN_FALLBACK: fallback,
    SIRAN_MODEL_SHARE: modelShare.toFixed(4),
  };
  if (check !== null) {
    Object.assign(metadata, {
      SIRAN_SELF_CHECK_FACTOR: check.factor.toFixed(3),
      SIRAN_SELF_CHECK_PIXELS: String(check.pixels),
      SIRAN_SELF_CHECK_MODEL_RMSE: check.modelRmse.toFixed(4),
      SIRAN_SELF_CHECK_BICUBIC_RMSE: check.bicubicRmse.toFixed(4),
      SIRAN_SELF_CHECK_BLENDED_RMSE: check.blendedRmse.toFixed(4),
      SIRAN_SELF_CHECK_EXPECTED_GAIN: check.expectedGain.toFixed(4),
      SIRAN_SELF_CHECK_SCENE_SHARE: check.sceneShare.toFixed(4),
    });
  }
  if (adaptation !== null) {
    Object.assign(metadata, {
      SIRAN_ADAPT_STEPS: String(adaptation.steps),
      SIRAN_ADAPT_KEPT: String(adaptation.kept),
      SIRAN_ADAPT_HELDOUT_BICUBIC_RMSE: adaptation.before.bicubicRmse.toFixed(4),
      SIRAN_ADAPT_HELDOUT_MODEL_RMSE_BEFORE: adaptation.before.modelRmse.toFixed(4),
      SIRAN_ADAPT_HELDOUT_MODEL_RMSE_AFTER: adaptation.after.modelRmse.toFixed(4),
    });
  }
  return metadata;
}

/** The inputs of one row of tiles, read whole: the coarse DEM on the row's grid and the guide's rows. */
interface RowBand {
  readonly coarse: Float32Array;
  readonly guide: ArrayLike<number>;
  readonly guideNodata: number | null;
}

/**
 * Reads tiles' inputs through whole rows of tiles: each row of the grid that a row of tiles covers is read once (the
 * coarse DEM by cubic convolution onto it, the guide's window), and its tiles are cut from it. Neighbouring tiles
 * overlap, so this reads and resamples each pixel once instead of up to four times, and opens the guide once per row
 * of tiles rather than once per tile. Tiles come row by row (as `predictInTiles` asks for them); the two latest rows
 * are kept.
 */
function rowBandReader(
  coarse: RasterSource,
  fill: number,
  guide: RasterSource,
  grid: TargetGrid,
  settings: typeof DEFAULT_PREDICT_SCENE_OPTIONS & PredictSceneOptions,
): (window: { x: number; y: number; width: number; height: number }) => Promise<TileInput> {
  const rows = new Map<number, Promise<RowBand>>();
  const readRow = async (y: number, height: number): Promise<RowBand> => {
    const rowGrid: TargetGrid = {
      width: grid.width,
      height,
      transform: windowGeoTransform(grid.transform, 0, y),
      crs: grid.crs,
    };
    const coarseValues = await readOnGrid(coarse, [settings.coarseBand], rowGrid, 'cubic');
    // The opened source: a PNG/JPEG guide is decoded once, not once per row.
    const guideRaster = await guide.read({ x: 0, y, width: grid.width, height }, settings.guideBands);
    return { coarse: coarseValues, guide: guideRaster.data.data, guideNodata: guideRaster.nodata };
  };
  return async (window) => {
    let row = rows.get(window.y);
    if (row === undefined) {
      row = readRow(window.y, window.height);
      rows.set(window.y, row);
      if (rows.size > 2) rows.delete(rows.keys().next().value as number);
    }
    const band = await row;
    const size = window.width * window.height;
    const coarseValues = new Float32Array(size);
    const guideValues = new Float64Array(3 * size); // float64: a float64 guide keeps its exact nodata
    for (let r = 0; r < window.height; r++) {
      const from = r * grid.width + window.x;
      coarseValues.set(band.coarse.subarray(from, from + window.width), r * window.width);
      for (let b = 0; b < 3; b++) {
        const source = b * grid.width * window.height + from;
        for (let c = 0; c < window.width; c++) {
          guideValues[b * size + r * window.width + c] = band.guide[source + c];
        }
      }
    }
    return tileInput(coarseValues, fill, interleaveGuide(guideValues, size, band.guideNodata));
  };
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

/** Checks that the coarse DEM overlaps the guide; returns its range over the guide (metres, sampled). */
async function checkOverlap(
  coarse: RasterSource,
  band: number,
  grid: TargetGrid,
  coarsePath: string,
  guidePath: string,
): Promise<{ minimum: number; maximum: number }> {
  const pixelSize = Math.abs(coarse.transform[1]);
  const sameCrs = coarse.crs.proj4 === grid.crs.proj4;
  const resolution = sameCrs
    ? Math.max(pixelSize, Math.abs(grid.transform[1]))
    : Math.abs(grid.transform[1]) * Math.max(1, Math.floor(Math.min(grid.width, grid.height) / 64));
  const coarseGrid = targetGridAtResolution(grid, resolution);
  const values = await readOnGrid(coarse, [band], coarseGrid, 'nearest');
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value < minimum) minimum = value;
    if (value > maximum) maximum = value;
  }
  if (!(minimum <= maximum)) {
    throw new RangeError(
      `predictScene: the coarse DEM ${coarsePath} does not overlap the guide ${guidePath} (no valid coarse pixel on the guide's grid)`,
    );
  }
  return { minimum, maximum };
}
