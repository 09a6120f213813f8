import { openRasterFile, type RasterSource, type VerticalUnit } from '@siran/dataset-builder';
import {
  type CrsInput,
  encodeRaster,
  type Raster,
  readRaster,
  type TargetGrid,
  type WriteRasterOptions,
  writeRaster,
} from '@siran/geo-io';
import type { AdaptOptions, AdaptResult } from './adapt.js';
import { isAblated } from './config.js';
import {
  PartialOutput,
  type PartialRowStats,
  predictionFingerprint,
  removeStaleTemporaries,
} from './internal/partial-output.js';
import {
  blendTile,
  finishScene,
  type PredictSettings,
  prepareScene,
  rowBandReader,
  type TileTotals,
} from './internal/scene.js';
import { checkTiling, predictInTiles, tileRows } from './internal/tiles.js';
import type { SiranModel } from './model.js';
import { OutputCheck, type OutputCheckOptions, type OutputCheckResult } from './output-checks.js';
import { DEFAULT_SELF_CHECK_OPTIONS, type SelfCheckResult } from './self-check.js';

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
  await writePrediction(outPath, raster, result.metadata);
  await (partial as PartialOutput | null)?.remove();
  return result;
}

/** The GeoTIFF of a prediction: deflate with the floating-point predictor, 256 px tiles, overviews, metres. */
function predictionTiffOptions(metadata: Readonly<Record<string, string>>): WriteRasterOptions {
  return {
    compression: 'deflate',
    tileSize: 256,
    metadata: { ...metadata },
    layout: 'cog',
    predictor: 'auto',
    bands: [{ description: 'elevation', unit: 'm' }],
  };
}

/**
 * Writes a prediction as {@link predictScene} does: a deflate-compressed float32 cloud-optimised GeoTIFF in metres,
 * through a temporary file and a rename.
 *
 * @param outPath - The output file.
 * @param raster - The prediction.
 * @param metadata - The prediction's metadata.
 */
export async function writePrediction(
  outPath: string,
  raster: Raster,
  metadata: Readonly<Record<string, string>>,
): Promise<void> {
  await writeRaster(outPath, raster, predictionTiffOptions(metadata));
}

/**
 * The bytes of the GeoTIFF {@link predictScene} writes, for a prediction made in memory by {@link predictRaster}
 * (to download from a page, or to store elsewhere than in a file).
 *
 * @param raster - The prediction (`raster` of {@link predictRaster}'s result).
 * @param metadata - Its metadata (`metadata` of the same result).
 * @returns A cloud-optimised float32 GeoTIFF in metres, byte for byte what {@link predictScene} writes.
 * @example
 * ```ts
 * const result = await predictRaster(model, coarse, guide);
 * const bytes = await encodePrediction(result.raster, result.metadata);
 * ```
 */
export async function encodePrediction(
  raster: Raster,
  metadata: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  return encodeRaster(raster, predictionTiffOptions(metadata));
}

/**
 * {@link predictScene} on rasters in memory (a browser, a server that holds its inputs, a pipeline): the same
 * prediction, self-check, fallback and output check, returned as a raster instead of written. {@link encodePrediction} gives the bytes of the GeoTIFF
 * `predictScene` would write.
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
 * const tiff = await encodePrediction(raster, metadata); // the bytes predictScene would write
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

/**
 * The options of a prediction with their defaults applied, checked for range.
 *
 * @param model - The model (its recommended tile size is the default).
 * @param options - The options given.
 * @returns The settings.
 * @throws RangeError for a tiling or fallback out of range.
 */
export function predictSettings(model: SiranModel, options: PredictSceneOptions): PredictSettings {
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
  return settings;
}

/** The work of {@link predictScene} and {@link predictRaster}: everything but reading and writing files. */
async function predictOnSources(
  model: SiranModel,
  coarseRaster: Raster,
  coarseName: string,
  guideSource: RasterSource,
  options: PredictSceneOptions,
  openRowStore:
    | ((settings: PredictSettings, selfCheck: SelfCheckResult | null, grid: TargetGrid) => Promise<RowStore>)
    | null,
  outName: string | null,
): Promise<PredictRasterResult> {
  const settings = predictSettings(model, options);
  const scene = await prepareScene(model, coarseRaster, coarseName, guideSource, settings);
  const { grid, selfCheck } = scene;
  const { signal } = settings;
  const outputCheck = new OutputCheck(
    scene.coarseRange.minimum,
    scene.coarseRange.maximum,
    settings.outputCheck,
  );
  const output = new Float32Array(grid.width * grid.height).fill(settings.nodata);
  const partial = openRowStore === null ? null : await openRowStore(settings, selfCheck, grid);
  const totals: TileTotals = { validPixels: 0, shareSum: 0, check: outputCheck };
  let rowStats: TileTotals = { validPixels: 0, shareSum: 0, check: outputCheck.fresh() };
  const restored = new Set<number>();
  const rowCount = tileRows(grid.height, settings).length;
  for (let index = 0; index < rowCount; index++) {
    const stats = partial?.has(index) ? await partial.restore(index, output) : null;
    if (stats === null) continue;
    restored.add(index);
    totals.validPixels += stats.validPixels;
    totals.shareSum += stats.shareSum;
    outputCheck.merge(stats.check);
  }
  const layout = { rowFrom: 0, columnFrom: 0, stride: grid.width };
  const tiles = await predictInTiles(
    model,
    grid,
    settings,
    rowBandReader(scene),
    (window, prediction, input, owned) =>
      blendTile(scene, window, prediction, input, owned, output, layout, rowStats),
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
        totals.validPixels += stats.validPixels;
        totals.shareSum += stats.shareSum;
        outputCheck.merge(stats.check);
        rowStats = { validPixels: 0, shareSum: 0, check: outputCheck.fresh() };
      },
    },
  );
  return finishScene(model, scene, output, totals, { tiles, reusedRows: restored.size }, outName);
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
