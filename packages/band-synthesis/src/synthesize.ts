import * as tf from '@tensorflow/tfjs-core';
import type { BandSynthesisModel } from './model.js';
import { criticAttention } from './networks.js';
import type { BandGrid } from './resample.js';
import type { BandSynthesisScene } from './scene.js';

/** Options of {@link synthesizeBand}. */
export interface SynthesizeBandOptions {
  /** Side of the square windows the scene is processed in, HR pixels (at most the scene's size is used). */
  readonly tileSize?: number;
  /** Overlap between neighbouring windows; predictions are blended with linear ramps across it. */
  readonly overlap?: number;
  /** Called after every window with the windows done and their total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Defaults of {@link SynthesizeBandOptions}. */
export const DEFAULT_SYNTHESIZE_BAND_OPTIONS = { tileSize: 128, overlap: 16 } as const;

/**
 * Window starts covering `size` with windows of `tile` that overlap by at least `overlap` (the last window is
 * moved back to end at the edge).
 *
 * @param size - Length to cover.
 * @param tile - Window length.
 * @param overlap - Minimum overlap.
 * @returns The starts, ascending.
 * @example
 * ```ts
 * windowStarts(40, 16, 4); // [0, 12, 24]
 * ```
 */
export function windowStarts(size: number, tile: number, overlap: number): number[] {
  if (tile >= size) return [0];
  const step = tile - overlap;
  const starts: number[] = [];
  for (let start = 0; start + tile < size; start += step) starts.push(start);
  starts.push(size - tile);
  return starts;
}

/** Blending weight of a window pixel: a ramp from the window's inner edges over `overlap`, 1 in the middle. */
function ramp(index: number, length: number, overlap: number, atStart: boolean, atEnd: boolean): number {
  const fromStart = atStart ? Number.POSITIVE_INFINITY : (index + 0.5) / overlap;
  const fromEnd = atEnd ? Number.POSITIVE_INFINITY : (length - index - 0.5) / overlap;
  return Math.min(1, fromStart, fromEnd);
}

/** A network applied to one window: normalised bands `[1, h, w, 3]` and upsampled band `[1, h, w, 1]` in, band out. */
export type WindowPredictor = (bands: tf.Tensor4D, upsampled: tf.Tensor4D) => tf.Tensor4D;

/**
 * Synthesises the HR band of a whole scene in overlapping windows with the S2A generator.
 *
 * @param model - A trained model.
 * @param scene - The scene (its `reference`, if any, is not read).
 * @param options - Window size, overlap and progress; see {@link SynthesizeBandOptions}.
 * @returns The band on the HR grid, in the input's units (values times `valueScale`).
 * @throws RangeError if `overlap` is negative or not below `tileSize`.
 * @remarks Each window gets its own attention map (the critic's `A_S` is normalised per sample, as in training),
 *   so windows are blended with linear ramps across the overlap rather than cut, which hides the seams.
 * @example
 * ```ts
 * const band = await synthesizeBand(model, createScene([nir, red, green], swirLow, { ratio: 2, valueScale: 255 }));
 * ```
 */
export function synthesizeBand(
  model: BandSynthesisModel,
  scene: BandSynthesisScene,
  options: SynthesizeBandOptions = {},
): Promise<BandGrid> {
  return predictInWindows(
    scene,
    model.valueScale,
    (bands, upsampled) =>
      tf.tidy(() => {
        const attention = criticAttention(model.critic, upsampled);
        return model.generator.apply([bands, attention, upsampled]) as tf.Tensor4D;
      }),
    options,
  );
}

/**
 * Applies any window predictor to a whole scene in overlapping, blended windows (as {@link synthesizeBand}).
 *
 * @param scene - The scene.
 * @param valueScale - Divisor applied to the inputs, multiplier applied to the output.
 * @param predict - The network on one window; its result is disposed here.
 * @param options - Window size, overlap and progress.
 * @returns The band on the HR grid.
 * @throws RangeError if `overlap` is negative or not below `tileSize`.
 * @example
 * ```ts
 * const band = await predictInWindows(scene, 255, (bands, upsampled) => baseline.apply([bands, upsampled]) as tf.Tensor4D);
 * ```
 */
export async function predictInWindows(
  scene: BandSynthesisScene,
  valueScale: number,
  predict: WindowPredictor,
  options: SynthesizeBandOptions = {},
): Promise<BandGrid> {
  const { rows, cols } = scene.upsampled;
  const tileSize = Math.min(
    options.tileSize ?? DEFAULT_SYNTHESIZE_BAND_OPTIONS.tileSize,
    Math.max(rows, cols),
  );
  const overlap = options.overlap ?? DEFAULT_SYNTHESIZE_BAND_OPTIONS.overlap;
  if (!(overlap >= 0 && overlap < tileSize))
    throw new RangeError(
      `synthesizeBand: overlap must be in [0, tileSize), got ${overlap} for tileSize ${tileSize}`,
    );
  const tileRows = Math.min(tileSize, rows);
  const tileCols = Math.min(tileSize, cols);
  const rowStarts = windowStarts(rows, tileRows, overlap);
  const colStarts = windowStarts(cols, tileCols, overlap);
  const sum = new Float64Array(rows * cols);
  const weights = new Float64Array(rows * cols);
  const total = rowStarts.length * colStarts.length;
  let done = 0;
  for (const top of rowStarts) {
    for (const left of colStarts) {
      const bands = new Float32Array(tileRows * tileCols * 3);
      const upsampled = new Float32Array(tileRows * tileCols);
      for (let i = 0; i < tileRows; i++) {
        for (let j = 0; j < tileCols; j++) {
          const source = (top + i) * cols + left + j;
          const pixel = i * tileCols + j;
          for (let b = 0; b < 3; b++) bands[pixel * 3 + b] = scene.bands[b].data[source] / valueScale;
          upsampled[pixel] = scene.upsampled.data[source] / valueScale;
        }
      }
      const bandTensor = tf.tensor4d(bands, [1, tileRows, tileCols, 3]);
      const upsampledTensor = tf.tensor4d(upsampled, [1, tileRows, tileCols, 1]);
      const output = predict(bandTensor, upsampledTensor);
      const values = await output.data();
      tf.dispose([output, bandTensor, upsampledTensor]);
      for (let i = 0; i < tileRows; i++) {
        const rowWeight = ramp(i, tileRows, overlap, top === 0, top + tileRows === rows);
        for (let j = 0; j < tileCols; j++) {
          const weight =
            Math.max(1e-6, rowWeight) *
            Math.max(1e-6, ramp(j, tileCols, overlap, left === 0, left + tileCols === cols));
          const target = (top + i) * cols + left + j;
          sum[target] += weight * values[i * tileCols + j];
          weights[target] += weight;
        }
      }
      options.onProgress?.(++done, total);
    }
  }
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (sum[i] / weights[i]) * valueScale;
  return { data, rows, cols };
}
