import * as tf from '@tensorflow/tfjs-core';
import { type BandGrid, blockMean, upsampleBicubic } from './resample.js';
import type { BandSynthesisBatch } from './trainer.js';

/** Inputs (and, for training and evaluation, the target) of band synthesis on one grid. */
export interface BandSynthesisScene {
  /** HR source bands in the order NIR, red, green, each `rows x cols`. */
  readonly bands: readonly [BandGrid, BandGrid, BandGrid];
  /** The LR band, `rows / ratio x cols / ratio`. */
  readonly lowResolution: BandGrid;
  /** `lowResolution` upsampled bicubically to the HR grid (`y~`). */
  readonly upsampled: BandGrid;
  /** The HR band to reproduce, when known. */
  readonly reference?: BandGrid;
  /** Resolution ratio between the LR band and the HR grid. */
  readonly ratio: number;
  /** Divisor that brings values to about [0, 1] (255 for 8-bit digital numbers). */
  readonly valueScale: number;
}

/**
 * Assembles a scene, checking the grids and upsampling the LR band.
 *
 * @param bands - HR NIR, red and green.
 * @param lowResolution - The LR band.
 * @param options - `ratio` (HR / LR resolution), `valueScale`, and the HR `reference` when known.
 * @returns The scene.
 * @throws RangeError naming the band if the HR bands differ in size, the LR band is not `ratio` times coarser,
 *   or the ratio is not an integer of at least 2.
 * @example
 * ```ts
 * const scene = createScene([nir, red, green], swirLow, { ratio: 2, valueScale: 255 });
 * ```
 */
export function createScene(
  bands: readonly [BandGrid, BandGrid, BandGrid],
  lowResolution: BandGrid,
  options: { readonly ratio: number; readonly valueScale: number; readonly reference?: BandGrid },
): BandSynthesisScene {
  const { ratio, reference } = options;
  if (!Number.isInteger(ratio) || ratio < 2) {
    throw new RangeError(`createScene: the LR band must be coarser by an integer ratio >= 2, got ${ratio}`);
  }
  const [rows, cols] = [bands[0].rows, bands[0].cols];
  const names = ['NIR', 'red', 'green'];
  bands.forEach((band, index) => {
    if (band.rows !== rows || band.cols !== cols)
      throw new RangeError(
        `createScene: the ${names[index]} band is ${band.rows} x ${band.cols}; the NIR band is ${rows} x ${cols}`,
      );
  });
  if (lowResolution.rows * ratio !== rows || lowResolution.cols * ratio !== cols) {
    throw new RangeError(
      `createScene: the LR band is ${lowResolution.rows} x ${lowResolution.cols}; ratio ${ratio} needs ${rows / ratio} x ${cols / ratio} for HR bands of ${rows} x ${cols}`,
    );
  }
  if (reference && (reference.rows !== rows || reference.cols !== cols)) {
    throw new RangeError(
      `createScene: the reference is ${reference.rows} x ${reference.cols}, expected ${rows} x ${cols}`,
    );
  }
  if (!(options.valueScale > 0))
    throw new RangeError(`createScene: valueScale must be positive, got ${options.valueScale}`);
  return {
    bands,
    lowResolution,
    upsampled: upsampleBicubic(lowResolution, ratio),
    reference,
    ratio,
    valueScale: options.valueScale,
  };
}

/**
 * The Wald-protocol training scene: every band degraded by a block mean of `ratio`, so the task "LR band at
 * `ratio` times the HR pixel -> HR band" is posed one scale down, where the original band is the reference.
 *
 * @param bands - Original NIR, red, green.
 * @param band - Original band to synthesise (e.g. SWIR).
 * @param ratio - Resolution ratio (2 for the shipped Olinda experiment).
 * @param valueScale - See {@link BandSynthesisScene.valueScale}.
 * @returns A scene on the grid `ratio` times coarser than the original: HR bands = block mean(`bands`, ratio),
 *   reference = block mean(`band`, ratio), LR band = block mean(`band`, ratio^2).
 * @throws RangeError if the size is not a multiple of `ratio^2`.
 * @example
 * ```ts
 * const training = waldScene([nir, red, green], swir, 2, 255);
 * ```
 */
export function waldScene(
  bands: readonly [BandGrid, BandGrid, BandGrid],
  band: BandGrid,
  ratio: number,
  valueScale: number,
): BandSynthesisScene {
  const degraded = bands.map((b) => blockMean(b, ratio)) as [BandGrid, BandGrid, BandGrid];
  return createScene(degraded, blockMean(band, ratio * ratio), {
    ratio,
    valueScale,
    reference: blockMean(band, ratio),
  });
}

/**
 * The evaluation scene at the original resolution: the original bands, the band degraded by `ratio` as its LR
 * version, and the original band as the reference.
 *
 * @param bands - Original NIR, red, green.
 * @param band - Original band to synthesise.
 * @param ratio - Resolution ratio.
 * @param valueScale - See {@link BandSynthesisScene.valueScale}.
 * @returns The scene on the original grid.
 * @example
 * ```ts
 * const test = originalScene([nir, red, green], swir, 2, 255);
 * ```
 */
export function originalScene(
  bands: readonly [BandGrid, BandGrid, BandGrid],
  band: BandGrid,
  ratio: number,
  valueScale: number,
): BandSynthesisScene {
  return createScene(bands, blockMean(band, ratio), { ratio, valueScale, reference: band });
}

/** Top-left corner of a square patch, in HR pixels. */
export interface PatchOrigin {
  readonly row: number;
  readonly col: number;
}

/**
 * Cuts patches from a scene into a normalised batch.
 *
 * @param scene - A scene with a reference.
 * @param origins - Patch corners.
 * @param size - Patch side in HR pixels.
 * @returns Tensors `[origins.length, size, size, c]`; the caller disposes them.
 * @throws RangeError if the scene has no reference or a patch leaves the grid.
 * @example
 * ```ts
 * const batch = patchBatch(scene, [{ row: 0, col: 0 }], 16);
 * ```
 */
export function patchBatch(
  scene: BandSynthesisScene,
  origins: readonly PatchOrigin[],
  size: number,
): BandSynthesisBatch {
  const { reference } = scene;
  if (!reference) throw new RangeError('patchBatch: the scene has no reference band');
  const [rows, cols] = [reference.rows, reference.cols];
  const count = origins.length;
  const bands = new Float32Array(count * size * size * 3);
  const upsampled = new Float32Array(count * size * size);
  const target = new Float32Array(count * size * size);
  origins.forEach(({ row, col }, n) => {
    if (row < 0 || col < 0 || row + size > rows || col + size > cols)
      throw new RangeError(
        `patchBatch: patch at (${row}, ${col}) of ${size} px leaves the ${rows} x ${cols} grid`,
      );
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const source = (row + i) * cols + col + j;
        const pixel = (n * size + i) * size + j;
        for (let b = 0; b < 3; b++) bands[pixel * 3 + b] = scene.bands[b].data[source] / scene.valueScale;
        upsampled[pixel] = scene.upsampled.data[source] / scene.valueScale;
        target[pixel] = reference.data[source] / scene.valueScale;
      }
    }
  });
  return {
    bands: tf.tensor4d(bands, [count, size, size, 3]),
    upsampled: tf.tensor4d(upsampled, [count, size, size, 1]),
    reference: tf.tensor4d(target, [count, size, size, 1]),
  };
}
