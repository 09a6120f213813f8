import {
  aspectDegrees,
  planCurvature,
  profileCurvature,
  slopeDegrees,
} from './internal/derivative-kernels.js';
import { gridPair } from './internal/grid-source.js';
import {
  derivativeRow,
  evansYoungDerivatives,
  hornDerivatives,
  WindowRows,
} from './internal/terrain-window.js';
import type { GridInput } from './raster-input.js';
import { resolveTerrainScale, type TerrainOptions } from './terrain-options.js';

/** Options for the terrain error metrics. */
export interface TerrainErrorOptions extends TerrainOptions {
  /**
   * Aspect and plan curvature are compared only where the reference slope is at least this many degrees:
   * on flatter ground both are dominated by noise (aspect is undefined on flat cells).
   */
  readonly minimumSlopeDegrees?: number;
}

/** Defaults of {@link TerrainErrorOptions}. */
export const DEFAULT_TERRAIN_ERROR_OPTIONS = { minimumSlopeDegrees: 1, zFactor: 1 } as const;

/** Errors of terrain derivatives, prediction against reference. */
export interface TerrainErrorStatistics {
  /** RMSE of Horn slope, degrees. */
  readonly slopeRmse: number;
  /** Mean absolute slope error, degrees. */
  readonly slopeMae: number;
  /** Mean signed slope error (prediction - reference), degrees; negative means too smooth. */
  readonly slopeBias: number;
  /** Pixels where slope was compared (interior, no nodata in either 3x3 window). */
  readonly slopePixelCount: number;
  /** Mean absolute angular aspect difference in `[0, 180]` degrees. */
  readonly aspectMae: number;
  /** Pixels where aspect and plan curvature were compared. */
  readonly aspectPixelCount: number;
  /** RMSE of profile curvature, 1/map unit. */
  readonly profileCurvatureRmse: number;
  /** RMSE of plan curvature, 1/map unit, on the pixels of {@link TerrainErrorStatistics.aspectPixelCount}. */
  readonly planCurvatureRmse: number;
}

/**
 * Compares slope, aspect and curvature of a predicted DEM with a reference, in one streaming pass.
 *
 * @param prediction - Predicted DEM, `[rows, cols]` ndarray or raster band.
 * @param reference - Reference DEM of the same shape.
 * @param options - Cell size (from the reference raster by default), z factor, minimum slope, nodata, mask.
 * @returns The statistics; a value is NaN when no pixel qualified for it (aspect on a flat DEM, or every
 *   3x3 window touching nodata).
 * @throws RangeError if the shapes differ or no cell size is known.
 * @remarks Memory is a few rows; no derivative map is stored. Slope and aspect use Horn's method,
 *   curvature the Evans-Young fit, as {@link slope}, {@link aspect} and {@link curvature}.
 * @example
 * ```ts
 * const { slopeRmse, aspectMae } = terrainErrorStatistics(predictedDem, referenceDem, { cellSize: 2 });
 * ```
 */
export function terrainErrorStatistics(
  prediction: GridInput,
  reference: GridInput,
  options: TerrainErrorOptions = {},
): TerrainErrorStatistics {
  const functionName = 'terrainErrorStatistics';
  const [left, right] = gridPair(prediction, reference, options, functionName);
  const { cellX, cellY, zFactor } = resolveTerrainScale(right.cellSize ? right : left, options, functionName);
  const minimumSlope = options.minimumSlopeDegrees ?? DEFAULT_TERRAIN_ERROR_OPTIONS.minimumSlopeDegrees;
  const windows = [new WindowRows(left), new WindowRows(right)];
  const horn = [derivativeRow(left.cols), derivativeRow(left.cols)];
  const evans = [derivativeRow(left.cols), derivativeRow(left.cols)];
  let slopeSum = 0;
  let slopeAbsSum = 0;
  let slopeSquares = 0;
  let slopeCount = 0;
  let aspectAbsSum = 0;
  let aspectCount = 0;
  let profileSquares = 0;
  let planSquares = 0;
  for (let row = 1; row < left.rows - 1; row++) {
    for (let which = 0; which < 2; which++) {
      const rows = windows[which].moveTo(row);
      hornDerivatives(rows, cellX, cellY, zFactor, horn[which]);
      evansYoungDerivatives(rows, cellX, cellY, zFactor, evans[which]);
    }
    const [predicted, expected] = horn;
    const [fitted, target] = evans;
    for (let col = 1; col < left.cols - 1; col++) {
      const referenceSlope = slopeDegrees(expected.p[col], expected.q[col]);
      const slopeError = slopeDegrees(predicted.p[col], predicted.q[col]) - referenceSlope;
      if (Number.isNaN(slopeError)) continue;
      slopeSum += slopeError;
      slopeAbsSum += Math.abs(slopeError);
      slopeSquares += slopeError * slopeError;
      slopeCount++;
      const fp = fitted.p[col];
      const fq = fitted.q[col];
      const fr = fitted.r[col];
      const fs = fitted.s[col];
      const ft = fitted.t[col];
      const tp = target.p[col];
      const tq = target.q[col];
      const tr = target.r[col];
      const ts = target.s[col];
      const tt = target.t[col];
      const profileError = profileCurvature(fp, fq, fr, fs, ft) - profileCurvature(tp, tq, tr, ts, tt);
      profileSquares += profileError * profileError;
      if (referenceSlope < minimumSlope) continue;
      const aspectError = Math.abs(
        aspectDegrees(predicted.p[col], predicted.q[col]) - aspectDegrees(expected.p[col], expected.q[col]),
      );
      if (Number.isNaN(aspectError)) continue;
      aspectAbsSum += Math.min(aspectError, 360 - aspectError);
      aspectCount++;
      const planError = planCurvature(fp, fq, fr, fs, ft) - planCurvature(tp, tq, tr, ts, tt);
      planSquares += planError * planError;
    }
  }
  return {
    slopeRmse: Math.sqrt(slopeSquares / slopeCount),
    slopeMae: slopeAbsSum / slopeCount,
    slopeBias: slopeSum / slopeCount,
    slopePixelCount: slopeCount,
    aspectMae: aspectAbsSum / aspectCount,
    aspectPixelCount: aspectCount,
    profileCurvatureRmse: Math.sqrt(profileSquares / slopeCount),
    planCurvatureRmse: Math.sqrt(planSquares / aspectCount),
  };
}

/**
 * RMSE between the Horn slopes of a predicted and a reference DEM, in degrees.
 *
 * @param prediction - Predicted DEM, `[rows, cols]` ndarray or raster band.
 * @param reference - Reference DEM of the same shape.
 * @param options - As {@link terrainErrorStatistics}.
 * @returns Slope RMSE in degrees.
 * @throws RangeError as {@link terrainErrorStatistics}.
 * @example
 * ```ts
 * slopeRmse(predictedDem, referenceDem, { cellSize: 2 });
 * ```
 */
export function slopeRmse(
  prediction: GridInput,
  reference: GridInput,
  options: TerrainErrorOptions = {},
): number {
  return terrainErrorStatistics(prediction, reference, options).slopeRmse;
}

/**
 * Mean absolute angular difference of aspect, degrees in `[0, 180]`, where the reference slope is at
 * least `minimumSlopeDegrees`.
 *
 * @param prediction - Predicted DEM, `[rows, cols]` ndarray or raster band.
 * @param reference - Reference DEM of the same shape.
 * @param options - As {@link terrainErrorStatistics}.
 * @returns Aspect MAE in degrees; NaN when no pixel is steep enough.
 * @throws RangeError as {@link terrainErrorStatistics}.
 * @example
 * ```ts
 * aspectMae(predictedDem, referenceDem, { cellSize: 2, minimumSlopeDegrees: 2 });
 * ```
 */
export function aspectMae(
  prediction: GridInput,
  reference: GridInput,
  options: TerrainErrorOptions = {},
): number {
  return terrainErrorStatistics(prediction, reference, options).aspectMae;
}

/**
 * RMSE between profile or plan curvatures of a predicted and a reference DEM, 1/map unit.
 *
 * @param prediction - Predicted DEM, `[rows, cols]` ndarray or raster band.
 * @param reference - Reference DEM of the same shape.
 * @param options - As {@link terrainErrorStatistics}, plus `kind` (`'profile'` by default).
 * @returns Curvature RMSE.
 * @throws RangeError as {@link terrainErrorStatistics}.
 * @example
 * ```ts
 * curvatureRmse(predictedDem, referenceDem, { cellSize: 2, kind: 'plan' });
 * ```
 */
export function curvatureRmse(
  prediction: GridInput,
  reference: GridInput,
  options: TerrainErrorOptions & { readonly kind?: 'profile' | 'plan' } = {},
): number {
  const statistics = terrainErrorStatistics(prediction, reference, options);
  return options.kind === 'plan' ? statistics.planCurvatureRmse : statistics.profileCurvatureRmse;
}
