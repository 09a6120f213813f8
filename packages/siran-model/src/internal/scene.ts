import {
  metresPerVerticalUnit,
  type RasterSource,
  rasterSourceFromRaster,
  readOnGrid,
} from '@siran/dataset-builder';
import { type Raster, type TargetGrid, targetGridAtResolution, windowGeoTransform } from '@siran/geo-io';
import ndarray from 'ndarray';
import { type AdaptResult, adaptOnSources } from '../adapt.js';
import { checkGuideStatistics, coarseMetresPerUnit, coarseToMetres, sampleGuide } from '../input-checks.js';
import type { SiranModel } from '../model.js';
import { describeOutputCheck, type OutputCheck, type OutputCheckResult } from '../output-checks.js';
import type {
  DEFAULT_PREDICT_SCENE_OPTIONS,
  PredictFallback,
  PredictRasterResult,
  PredictSceneOptions,
} from '../predict.js';
import { modelShareSampler, type SelfCheckResult, selfCheckOnSources } from '../self-check.js';
import { interleaveGuide, type OwnedPixels, type TileInput, type TileWindow, tileInput } from './tiles.js';

/** The options of a prediction with their defaults applied. */
export type PredictSettings = typeof DEFAULT_PREDICT_SCENE_OPTIONS & PredictSceneOptions;

/** A scene's inputs opened for prediction: the grid, the coarse DEM in metres, the guide and the nodata fill. */
export interface OpenedScene {
  readonly settings: PredictSettings;
  readonly grid: TargetGrid;
  readonly coarse: RasterSource;
  readonly guide: RasterSource;
  readonly names: { readonly coarse: string; readonly guide: string };
  /** Mean of the valid coarse heights (metres): the fill of coarse nodata before it enters the model. */
  readonly fill: number;
  /** Coarse heights per unit of the file's heights. */
  readonly metresPerUnit: number;
  /** Share of the model's correction kept at a pixel, or `null` to keep all of it. */
  readonly share: ((column: number, row: number) => number) | null;
}

/** A scene after the checks and the self-check: everything needed to predict any of its tiles. */
export interface PreparedScene extends OpenedScene {
  readonly coarseRange: { readonly minimum: number; readonly maximum: number };
  readonly selfCheck: SelfCheckResult | null;
  readonly adaptation: AdaptResult | null;
  readonly fallback: PredictFallback;
}

/**
 * Opens a scene's inputs without checking them: the coarse raster's heights are converted to metres in place.
 *
 * @param coarseRaster - The coarse DEM, read whole.
 * @param coarseName - Its name in messages.
 * @param guide - The guide.
 * @param settings - The prediction's settings.
 * @param metresPerUnit - Metres per unit of the coarse heights.
 * @param share - The share sampler, if any.
 * @param check - Check the coarse heights' range while converting.
 * @returns The opened scene.
 */
export function openScene(
  coarseRaster: Raster,
  coarseName: string,
  guide: RasterSource,
  settings: PredictSettings,
  metresPerUnit: number,
  share: OpenedScene['share'],
  check = false,
): OpenedScene {
  const grid: TargetGrid = {
    width: guide.width,
    height: guide.height,
    transform: guide.transform,
    crs: guide.crs,
  };
  coarseToMetres(coarseRaster, settings.coarseBand, metresPerUnit, coarseName, check);
  return {
    settings,
    grid,
    coarse: rasterSourceFromRaster(coarseRaster, coarseName),
    guide,
    names: { coarse: coarseName, guide: guide.description },
    fill: validMean(coarseRaster, settings.coarseBand),
    metresPerUnit,
    share,
  };
}

/**
 * The checks before any tile and the self-check (and adaptation): everything a prediction does once per scene.
 *
 * @param model - The model (its weights change when an adaptation is kept).
 * @param coarseRaster - The coarse DEM, read whole (converted to metres in place).
 * @param coarseName - Its name in messages.
 * @param guide - The guide.
 * @param settings - The prediction's settings, already checked for range.
 * @returns The prepared scene.
 * @throws RangeError as `predictScene` documents.
 */
export async function prepareScene(
  model: SiranModel,
  coarseRaster: Raster,
  coarseName: string,
  guide: RasterSource,
  settings: PredictSettings,
): Promise<PreparedScene> {
  const { signal } = settings;
  signal?.throwIfAborted();
  const guidePath = guide.description;
  for (const band of settings.guideBands) {
    if (band < 0 || band >= guide.bandCount) {
      throw new RangeError(
        `predictScene: ${guidePath} has ${guide.bandCount} band(s); guide band ${band + 1} (NIR, R, G: ${settings.guideBands.map((b) => b + 1)}) does not exist`,
      );
    }
  }
  if (settings.checkInputs) {
    checkGuideStatistics(
      await sampleGuide(guide, settings.guideBands),
      model.normalization,
      settings.guideBands,
      guidePath,
    );
  }
  const metresPerUnit = settings.checkInputs
    ? coarseMetresPerUnit(settings.coarseVerticalUnit, coarseRaster.crs, coarseName)
    : metresPerVerticalUnit(settings.coarseVerticalUnit, coarseRaster.crs);
  const opened = openScene(
    coarseRaster,
    coarseName,
    guide,
    settings,
    metresPerUnit,
    null,
    settings.checkInputs,
  );
  const { grid, coarse, names } = opened;
  const coarseRange = await checkOverlap(coarse, settings.coarseBand, grid, coarseName, guidePath);
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
          guide,
          grid,
          { ...settings, onProgress: selfCheckProgress },
          names,
          settings.adapt,
        );
  const selfCheck = settings.selfCheck
    ? await selfCheckOnSources(
        model,
        coarse,
        guide,
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
  return { ...opened, share, coarseRange, selfCheck, adaptation, fallback };
}

/** What a set of tiles adds to a prediction's totals. */
export interface TileTotals {
  validPixels: number;
  shareSum: number;
  readonly check: OutputCheck;
}

/**
 * Blends one tile's prediction towards bicubic by the scene's share and stores the pixels it owns.
 *
 * @param scene - The scene (its share sampler and grid).
 * @param window - The tile's window.
 * @param prediction - The model's output on the tile (NaN where the coarse DEM has no data).
 * @param input - The tile's inputs.
 * @param owned - The grid pixels the tile owns.
 * @param target - Where the owned pixels go: grid pixel `(row, column)` at
 *   `(row - layout.rowFrom) * layout.stride + column - layout.columnFrom`.
 * @param layout - The target's origin in the grid and its row stride.
 * @param totals - Updated with the tile's valid pixels, shares and output check.
 */
export function blendTile(
  scene: Pick<OpenedScene, 'share'>,
  window: TileWindow,
  prediction: Float32Array,
  input: TileInput,
  owned: OwnedPixels,
  target: Float32Array,
  layout: { readonly rowFrom: number; readonly columnFrom: number; readonly stride: number },
  totals: TileTotals,
): void {
  const { share } = scene;
  const { x, y, width } = window;
  for (let row = owned.rowFrom; row < owned.rowTo; row++) {
    for (let column = owned.columnFrom; column < owned.columnTo; column++) {
      const i = (row - y) * width + (column - x);
      if (input.valid[i] === 0) continue;
      const value = prediction[i];
      if (!Number.isFinite(value)) {
        totals.check.add(value); // stays nodata, and is counted
        continue;
      }
      const w = share === null ? 1 : share(column, row);
      const blended = input.coarse[i] + w * (value - input.coarse[i]);
      target[(row - layout.rowFrom) * layout.stride + (column - layout.columnFrom)] = blended;
      totals.check.add(blended);
      totals.validPixels += 1;
      totals.shareSum += w;
    }
  }
}

/**
 * The finished prediction: the output check (refused with `strict`), the metadata and the raster.
 *
 * @param model - The model.
 * @param scene - The prepared scene.
 * @param output - The output grid, row-major.
 * @param totals - The totals over every tile.
 * @param counts - Tiles run and rows of tiles reused.
 * @param outName - The output file, for the message of a refusal, or `null`.
 * @returns What `predictRaster` returns.
 * @throws RangeError with `strict` when the prediction fails the output check.
 */
export function finishScene(
  model: SiranModel,
  scene: Pick<PreparedScene, 'grid' | 'selfCheck' | 'fallback' | 'adaptation' | 'names'> & {
    readonly settings: Pick<PredictSettings, 'strict' | 'nodata'>;
  },
  output: Float32Array,
  totals: TileTotals,
  counts: { readonly tiles: number; readonly reusedRows: number },
  outName: string | null,
): PredictRasterResult {
  const { settings, grid, selfCheck, fallback, adaptation, names } = scene;
  const modelShare = totals.validPixels > 0 ? totals.shareSum / totals.validPixels : 1;
  const checked = totals.check.result();
  if (!checked.ok && settings.strict) {
    throw new RangeError(
      `predictScene: the prediction of ${names.coarse} with ${names.guide} failed the ${describeOutputCheck(checked)}; refused (strict)${outName === null ? '' : `, nothing written to ${outName}`}`,
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
    tiles: counts.tiles,
    reusedRows: counts.reusedRows,
    validPixels: totals.validPixels,
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
  readonly from: number;
  readonly width: number;
  readonly coarse: Float32Array;
  readonly guide: ArrayLike<number>;
  readonly guideNodata: number | null;
}

/**
 * Reads tiles' inputs through rows of tiles: the columns `span(y)` of each row of the grid that a row of tiles
 * covers are read once (the coarse DEM by cubic convolution onto them, the guide's window), and its tiles are cut
 * from them. Neighbouring tiles overlap, so this reads and resamples each pixel once instead of up to four times,
 * and opens the guide once per row of tiles rather than once per tile. Tiles come row by row (as `predictInTiles`
 * asks for them); the two latest rows are kept.
 *
 * @param scene - The opened scene.
 * @param span - Columns `[from, to)` to read for the row of tiles starting at grid row `y`; default the whole row.
 * @returns A reader of tile inputs.
 */
export function rowBandReader(
  scene: OpenedScene,
  span?: (y: number) => { readonly from: number; readonly to: number },
): (window: TileWindow) => Promise<TileInput> {
  const { coarse, guide, grid, settings, fill } = scene;
  const rows = new Map<number, Promise<RowBand>>();
  const readRow = async (y: number, height: number): Promise<RowBand> => {
    const { from, to } = span?.(y) ?? { from: 0, to: grid.width };
    const rowGrid: TargetGrid = {
      width: to - from,
      height,
      transform: windowGeoTransform(grid.transform, from, y),
      crs: grid.crs,
    };
    const coarseValues = await readOnGrid(coarse, [settings.coarseBand], rowGrid, 'cubic');
    // The opened source: a PNG/JPEG guide is decoded once, not once per row.
    const guideRaster = await guide.read({ x: from, y, width: to - from, height }, settings.guideBands);
    return {
      from,
      width: to - from,
      coarse: coarseValues,
      guide: guideRaster.data.data,
      guideNodata: guideRaster.nodata,
    };
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
      const from = r * band.width + window.x - band.from;
      coarseValues.set(band.coarse.subarray(from, from + window.width), r * window.width);
      for (let b = 0; b < 3; b++) {
        const source = b * band.width * window.height + from;
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
