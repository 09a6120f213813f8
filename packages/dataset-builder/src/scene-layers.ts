import { type Raster, type ResamplingMethod, resolveCrs, type TargetGrid } from '@siran/geo-io';
import ndarray from 'ndarray';
import { type DegradationOptions, degradeDem } from './degradation.js';
import { type RasterSource, rasterSourceFromRaster } from './raster-source.js';
import { readOnGrid } from './read-on-grid.js';
import { sourceResolutionIn, type TargetGridOptions } from './scene-grid.js';
import { metresPerVerticalUnit, type VerticalUnit } from './vertical-units.js';

/** A synthetic degradation given by its coarse ground sampling distance instead of a block size. */
export interface SceneDegradation extends Omit<DegradationOptions, 'blockSize'> {
  /** Coarse cell size in target-grid units; rounded to a whole number of target pixels. */
  readonly coarseCellSize: number;
}

/** The inputs of one scene, opened as raster sources. */
export interface SceneSources {
  /** Scene name, used in the manifest and messages. */
  readonly name: string;
  /** High-resolution reference DEM. */
  readonly reference: RasterSource;
  /** Band of the reference DEM to use (0-based). */
  readonly referenceBand?: number;
  /** Vertical unit of the reference; read from its CRS when absent. */
  readonly referenceVerticalUnit?: VerticalUnit;
  /** Real coarse DEM; when absent `degradation` makes one from the reference. */
  readonly coarse?: RasterSource;
  /** Band of the coarse DEM (0-based). */
  readonly coarseBand?: number;
  /** Vertical unit of the coarse DEM; read from its CRS when absent. */
  readonly coarseVerticalUnit?: VerticalUnit;
  /** Synthetic degradation, used when `coarse` is absent. */
  readonly degradation?: SceneDegradation;
  /** Guide image. */
  readonly guide: RasterSource;
  /** Guide bands (0-based) that make the composite, in channel order: NIR, red, green. */
  readonly guideBands: readonly [number, number, number];
  /** This scene's target grid options, merged over the dataset's. */
  readonly target?: TargetGridOptions;
}

/** The three layers of a window of a scene, on the window's grid. */
export interface SceneLayers {
  /** Reference heights, metres, `[height * width]`, `NaN` where missing. */
  readonly reference: Float32Array;
  /** Coarse heights upsampled to the grid, metres, `[height * width]`. */
  readonly coarse: Float32Array;
  /** Guide, band-sequential `[3, height, width]`, in the source's value units. */
  readonly guide: Float32Array;
}

/**
 * How a scene's layers are resampled and degraded, resolved once per scene.
 *
 * @remarks
 * `blockSize` is the synthetic degradation's fine pixels per coarse cell; `coarseResolution` the
 * real coarse DEM's own pixel size in the target CRS.
 */
export interface ScenePlan {
  /** The scene's target grid. */
  readonly grid: TargetGrid;
  /** The degradation with its block size, or `null` for a real coarse DEM. */
  readonly degradation: DegradationOptions | null;
  /** Pixel size of the real coarse DEM in target units, or `null`. */
  readonly coarseResolution: number | null;
  /** Metres per unit of the reference and coarse heights. */
  readonly verticalScale: { readonly reference: number; readonly coarse: number };
  /** Resampling used for the reference and the guide. */
  readonly resampling: { readonly reference: ResamplingMethod; readonly guide: ResamplingMethod };
  /** Margin in target pixels that a window needs so its interior equals the whole-scene result. */
  readonly margin: number;
}

/**
 * Resolves the block size, vertical scales, resampling kernels and window margin of a scene.
 *
 * @param scene - The scene's sources.
 * @param grid - Its target grid (see `sceneTargetGrid`).
 * @returns The plan used for every window of the scene.
 * @throws RangeError if the scene has neither a coarse DEM nor a degradation, or the coarse cell size is
 * smaller than a target pixel.
 */
export function planScene(scene: SceneSources, grid: TargetGrid): ScenePlan {
  const pixel = grid.transform[1];
  const kernel = (source: RasterSource, upsampling: ResamplingMethod): ResamplingMethod =>
    sourceResolutionIn(source, grid.crs) >= pixel / 1.5 ? upsampling : 'average';
  const resampling = { reference: kernel(scene.reference, 'cubic'), guide: kernel(scene.guide, 'bilinear') };
  const verticalScale = {
    reference: metresPerVerticalUnit(scene.referenceVerticalUnit, scene.reference.crs),
    coarse:
      scene.coarse === undefined ? 1 : metresPerVerticalUnit(scene.coarseVerticalUnit, scene.coarse.crs),
  };
  if (scene.coarse !== undefined) {
    const coarseResolution = sourceResolutionIn(scene.coarse, grid.crs);
    return { grid, degradation: null, coarseResolution, verticalScale, resampling, margin: 0 };
  }
  if (scene.degradation === undefined) {
    throw new RangeError(
      `planScene: scene "${scene.name}" has neither a coarse DEM nor a degradation; expected one`,
    );
  }
  const { coarseCellSize, ...rest } = scene.degradation;
  const blockSize = Math.round(coarseCellSize / pixel);
  if (!(blockSize >= 1)) {
    throw new RangeError(
      `planScene: coarseCellSize ${coarseCellSize} is below the target pixel size ${pixel}`,
    );
  }
  const shift = rest.shift ?? [0, 0];
  const reach =
    Math.ceil(3 * (rest.blurSigma ?? 0)) + Math.ceil(Math.max(Math.abs(shift[0]), Math.abs(shift[1]))) + 4;
  return {
    grid,
    degradation: { ...rest, blockSize },
    coarseResolution: null,
    verticalScale,
    resampling,
    margin: blockSize * reach,
  };
}

/**
 * Reads, warps and degrades the three layers of a scene on one window grid.
 *
 * @param scene - The scene's sources.
 * @param plan - The scene's plan from {@link planScene}.
 * @param window - Pixel window of the scene's target grid: `row`, `column`, `width`, `height`.
 * @returns The layers on the window grid.
 * @remarks
 * For a synthetic degradation the window's first row and column must be multiples of the plan's block size
 * (so windows share the whole scene's block lattice) and the window needs `plan.margin` pixels of context
 * around the pixels that are kept. The real coarse DEM is first warped at its own
 * resolution onto a lattice anchored at the scene grid's origin, then upsampled with cubic convolution.
 */
export async function readSceneLayers(
  scene: SceneSources,
  plan: ScenePlan,
  window: { row: number; column: number; width: number; height: number },
): Promise<SceneLayers> {
  const { grid } = plan;
  const [x0, pixel, , y0, , pixelY] = grid.transform;
  const windowGrid: TargetGrid = {
    width: window.width,
    height: window.height,
    transform: [x0 + window.column * pixel, pixel, 0, y0 + window.row * pixelY, 0, pixelY],
    crs: grid.crs,
  };
  const reference = await readOnGrid(
    scene.reference,
    [scene.referenceBand ?? 0],
    windowGrid,
    plan.resampling.reference,
    plan.verticalScale.reference,
  );
  const guide = await readOnGrid(scene.guide, scene.guideBands, windowGrid, plan.resampling.guide);
  const crs = resolveCrs(grid.crs);
  let coarseRaster: Raster;
  if (plan.degradation !== null) {
    const fine = {
      data: ndarray(reference, [1, window.height, window.width]),
      transform: windowGrid.transform,
      crs,
      nodata: Number.NaN,
    };
    coarseRaster = degradeDem(fine, plan.degradation, { row: window.row, column: window.column });
  } else {
    const step = plan.coarseResolution!;
    const ratio = step / pixel;
    const firstColumn = Math.floor(window.column / ratio) - 4;
    const firstRow = Math.floor(window.row / ratio) - 4;
    const coarseGrid: TargetGrid = {
      width: Math.ceil((window.column + window.width) / ratio) + 4 - firstColumn,
      height: Math.ceil((window.row + window.height) / ratio) + 4 - firstRow,
      transform: [
        x0 + firstColumn * step,
        step,
        0,
        y0 + firstRow * step * Math.sign(pixelY),
        0,
        step * Math.sign(pixelY),
      ],
      crs,
    };
    const values = await readOnGrid(
      scene.coarse!,
      [scene.coarseBand ?? 0],
      coarseGrid,
      'cubic',
      plan.verticalScale.coarse,
    );
    coarseRaster = {
      data: ndarray(values, [1, coarseGrid.height, coarseGrid.width]),
      transform: coarseGrid.transform,
      crs,
      nodata: Number.NaN,
    };
  }
  const coarse = await readOnGrid(rasterSourceFromRaster(coarseRaster, 'coarse'), [0], windowGrid, 'cubic');
  return { reference, coarse, guide };
}
