import { gridPair } from './internal/grid-source.js';
import { errorStatistics, psnrFromStatistics, resolveDataRange } from './pixel-metrics.js';
import type { GridInput } from './raster-input.js';
import { DEFAULT_SSIM_OPTIONS, ssimOrNaN } from './ssim.js';
import { type TerrainErrorOptions, terrainErrorStatistics } from './terrain-errors.js';

/** Options for {@link evaluateDem}. */
export interface EvaluateDemOptions extends TerrainErrorOptions {
  /** Data range for PSNR and SSIM, metres. Default: max - min of the valid reference pixels. */
  readonly dataRange?: number;
  /** SSIM window sigma, pixels. */
  readonly gaussianSigma?: number;
  /** SSIM constants. */
  readonly k1?: number;
  readonly k2?: number;
  /** Compute slope, aspect and curvature errors (needs a cell size). */
  readonly terrain?: boolean;
}

/** Defaults of {@link EvaluateDemOptions}. */
export const DEFAULT_EVALUATE_DEM_OPTIONS = {
  ...DEFAULT_SSIM_OPTIONS,
  terrain: true,
  minimumSlopeDegrees: 1,
  zFactor: 1,
} as const;

/** Every number of a DEM super-resolution results table, in the papers' units. */
export interface DemEvaluation {
  /** Pixels valid in both DEMs. */
  readonly validPixelCount: number;
  /** Root mean squared error, metres. */
  readonly rmse: number;
  /** Mean absolute error, metres. */
  readonly mae: number;
  /** Mean signed error (prediction - reference), metres. */
  readonly bias: number;
  /** Largest absolute error, metres. */
  readonly maxAbsError: number;
  /** Peak signal-to-noise ratio, dB, with {@link DemEvaluation.dataRange}. */
  readonly psnr: number;
  /**
   * Mean SSIM in `[-1, 1]`; NaN when the grid is smaller than the SSIM window or no window lies fully on
   * valid pixels (the other metrics are still reported).
   */
  readonly ssim: number;
  /** SSIM in percent, as the papers' tables print it. */
  readonly ssimPercent: number;
  /** The data range used for PSNR and SSIM, metres. */
  readonly dataRange: number;
  /** Horn slope RMSE, degrees (present when `terrain` is on). */
  readonly slopeRmse?: number;
  /** Mean absolute slope error, degrees. */
  readonly slopeMae?: number;
  /** Mean signed slope error, degrees; negative means the prediction is too smooth. */
  readonly slopeBias?: number;
  /** Mean absolute aspect difference on slopes >= `minimumSlopeDegrees`, degrees. */
  readonly aspectMae?: number;
  /** Profile curvature RMSE, 1/m. */
  readonly profileCurvatureRmse?: number;
  /** Plan curvature RMSE on slopes >= `minimumSlopeDegrees`, 1/m. */
  readonly planCurvatureRmse?: number;
}

/**
 * Evaluates a predicted DEM against a reference with every metric of this package in one call.
 *
 * @param prediction - Predicted DEM, `[rows, cols]` ndarray or raster band, metres.
 * @param reference - Reference DEM of the same shape.
 * @param options - Data range, SSIM window, terrain switch and cell size, nodata, mask.
 * @returns A plain object of numbers, see {@link DemEvaluation}.
 * @throws RangeError if the shapes differ, no pixel is valid, or terrain metrics are on and no cell size
 *   is known (pass `cellSize` or `terrain: false`).
 * @remarks Streams over rows: memory stays at a few rows of each grid, whatever their size.
 * @example
 * ```ts
 * const table = evaluateDem(predictedRaster, referenceRaster, { dataRange: 500 });
 * console.log(`${table.rmse.toFixed(2)} m, ${table.psnr.toFixed(2)} dB, SSIM ${table.ssimPercent.toFixed(2)} %`);
 * ```
 */
export function evaluateDem(
  prediction: GridInput,
  reference: GridInput,
  options: EvaluateDemOptions = {},
): DemEvaluation {
  const settings = { ...DEFAULT_EVALUATE_DEM_OPTIONS, ...options };
  const [left, right] = gridPair(prediction, reference, options, 'evaluateDem');
  const statistics = errorStatistics(prediction, reference, options);
  const dataRange = resolveDataRange(options.dataRange, statistics, 'evaluateDem');
  const structural = ssimOrNaN(prediction, reference, { ...settings, dataRange });
  const evaluation: DemEvaluation = {
    validPixelCount: statistics.validPixelCount,
    rmse: statistics.rmse,
    mae: statistics.mae,
    bias: statistics.bias,
    maxAbsError: statistics.maxAbsError,
    psnr: psnrFromStatistics(statistics, dataRange),
    ssim: structural,
    ssimPercent: 100 * structural,
    dataRange,
  };
  if (!settings.terrain) return evaluation;
  if (options.cellSize === undefined && left.cellSize === undefined && right.cellSize === undefined) {
    throw new RangeError(
      'evaluateDem: terrain metrics need a cell size; pass cellSize, rasters, or terrain: false',
    );
  }
  const terrain = terrainErrorStatistics(prediction, reference, options);
  return {
    ...evaluation,
    slopeRmse: terrain.slopeRmse,
    slopeMae: terrain.slopeMae,
    slopeBias: terrain.slopeBias,
    aspectMae: terrain.aspectMae,
    profileCurvatureRmse: terrain.profileCurvatureRmse,
    planCurvatureRmse: terrain.planCurvatureRmse,
  };
}
