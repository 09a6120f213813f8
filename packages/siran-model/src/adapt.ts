import { createRandom, type RasterSource } from '@siran/dataset-builder';
import type { TargetGrid } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import type { SiranModel } from './model.js';
import {
  type CoarseScaleData,
  coarseScaleData,
  predictOnGrid,
  type SelfCheckSettings,
} from './self-check.js';
import { SiranTrainer } from './training-step.js';

/** Options of scene adaptation (`predictScene` option `adapt`). */
export interface AdaptOptions {
  /** Wall-clock budget of the fine-tuning, minutes. */
  readonly minutes?: number;
  /** At most this many steps (whichever of the two ends first). */
  readonly maxSteps?: number;
  /** Training patch side in coarse pixels (at most the configuration's patch size). */
  readonly patchSize?: number;
  /** Seed of the patch draws. */
  readonly seed?: number;
  /** Called after each step with the step, the seconds spent and the step's pixel loss. */
  readonly onStep?: (step: number, elapsedSeconds: number, pixelLoss: number) => void;
}

/** Defaults of {@link AdaptOptions}. */
export const DEFAULT_ADAPT_OPTIONS: Required<Omit<AdaptOptions, 'onStep'>> = {
  minutes: 5,
  maxSteps: Number.POSITIVE_INFINITY,
  patchSize: 32,
  seed: 1,
};

/** RMSE (metres) of bicubic and the model on the held-out blocks of the coarse grid. */
export interface HeldOutErrors {
  /** RMSE of bicubic, metres. */
  readonly bicubicRmse: number;
  /** RMSE of the model, metres. */
  readonly modelRmse: number;
  /** `1 - modelRmse / bicubicRmse`. */
  readonly gain: number;
}

/** What scene adaptation (`predictScene` option `adapt`) did. */
export interface AdaptResult {
  /** Training steps run. */
  readonly steps: number;
  /** Seconds spent training. */
  readonly seconds: number;
  /** Errors on the held-out blocks before the fine-tuning. */
  readonly before: HeldOutErrors;
  /** Errors on the held-out blocks after it. */
  readonly after: HeldOutErrors;
  /** Whether the adapted weights were kept (they are when the held-out RMSE went down; else the model is restored). */
  readonly kept: boolean;
  /** Side of the checkerboard blocks, coarse pixels (training on one colour, evaluation on the other). */
  readonly blockSize: number;
  /** Whether a pixel of the coarse grid lies in a block that was trained on. */
  readonly isTrainingPixel: (column: number, row: number) => boolean;
}

/**
 * Scene adaptation: fine-tunes the model on the scene itself one scale down, where the truth is known, then keeps
 * the new weights only if they help on blocks held out of the fine-tuning.
 *
 * The coarse grid is cut into a checkerboard of blocks of `2 x patchSize` coarse pixels. Training pairs are drawn
 * from the white blocks: bicubic of the twice-coarsened DEM and the averaged guide as inputs, the coarse DEM as the
 * target, with the model's own training step (generator and discriminator, all losses). Before and after, the model
 * is evaluated on the black blocks against bicubic.
 *
 * @param model - The model; its weights change when the adaptation is kept.
 * @param coarse - The coarse DEM (metres).
 * @param guide - The guide.
 * @param grid - The output grid (the guide's).
 * @param settings - Bands and tiling of the self-check.
 * @param names - The inputs' names, for messages.
 * @param options - Budget, patch size and seed; see {@link AdaptOptions}.
 * @returns Steps, time, held-out errors before and after, and whether the new weights were kept.
 * @throws RangeError if the coarse grid is smaller than two blocks, or (from the self-check data) the coarse DEM is
 *   not coarser than the guide.
 */
export async function adaptOnSources(
  model: SiranModel,
  coarse: RasterSource,
  guide: RasterSource,
  grid: TargetGrid,
  settings: SelfCheckSettings,
  names: { readonly coarse: string; readonly guide: string },
  options: AdaptOptions = {},
): Promise<AdaptResult> {
  const config = { ...DEFAULT_ADAPT_OPTIONS, ...options };
  if (!(config.minutes > 0) || !(config.maxSteps >= 1)) {
    throw new RangeError(
      `adaptToScene: minutes and maxSteps must be positive, got ${config.minutes} and ${config.maxSteps}`,
    );
  }
  const data = await coarseScaleData(coarse, guide, grid, settings, names);
  const patch = Math.min(config.patchSize, model.config.patchSize, data.grid.width, data.grid.height);
  if (patch < 8) {
    throw new RangeError(
      `adaptToScene: the coarse grid of ${names.coarse} is ${data.grid.width} x ${data.grid.height} pixels; adaptation needs patches of at least 8`,
    );
  }
  const blockSize = 2 * patch;
  if (data.grid.width <= blockSize && data.grid.height <= blockSize) {
    throw new RangeError(
      `adaptToScene: the coarse grid of ${names.coarse} is ${data.grid.width} x ${data.grid.height} pixels, one block of ${blockSize}; adaptation needs at least two, one to train on and one to hold out`,
    );
  }
  const training = (column: number, row: number) =>
    (Math.floor(column / blockSize) + Math.floor(row / blockSize)) % 2 === 0;
  const patches = trainingPatches(data, patch, blockSize, training);
  if (patches.length === 0) {
    throw new RangeError(
      `adaptToScene: no ${patch} x ${patch} patch with values lies in a training block of ${names.coarse} (coarse grid ${data.grid.width} x ${data.grid.height})`,
    );
  }
  const evaluate = async () => heldOutErrors(data, await predictOnGrid(model, data, settings), training);
  const before = await evaluate();
  const saved = [model.generator, model.discriminator, model.attentionHead].map((network) =>
    network.getWeights().map((weight) => tf.clone(weight)),
  );
  const trainer = new SiranTrainer(model);
  const random = createRandom(config.seed);
  const means = guideBandMeans(data);
  const start = Date.now();
  let steps = 0;
  try {
    while (steps < config.maxSteps && (Date.now() - start) / 60000 < config.minutes) {
      const picks = Array.from(
        { length: model.config.batchSize },
        () => patches[Math.floor(random() * patches.length)],
      );
      const batch = tf.tidy(() => batchOf(data, means, picks, patch));
      const result = await trainer.step(batch);
      tf.dispose([batch.coarse, batch.guide, batch.reference]);
      steps += 1;
      config.onStep?.(steps, (Date.now() - start) / 1000, result.losses.pixel);
    }
  } finally {
    trainer.generatorOptimizer.dispose();
    trainer.discriminatorOptimizer.dispose();
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await evaluate();
  const kept = after.modelRmse < before.modelRmse;
  const networks = [model.generator, model.discriminator, model.attentionHead];
  if (!kept) {
    networks.forEach((network, index) => {
      network.setWeights(saved[index]);
    });
  }
  tf.dispose(saved.flat());
  return { steps, seconds, before, after, kept, blockSize, isTrainingPixel: training };
}

/** Top-left corners of the patches that lie whole in training blocks and have every value. */
function trainingPatches(
  data: CoarseScaleData,
  patch: number,
  blockSize: number,
  training: (column: number, row: number) => boolean,
): Array<[number, number]> {
  const { width, height } = data.grid;
  const corners: Array<[number, number]> = [];
  const step = Math.max(1, Math.floor(patch / 4));
  for (let y = 0; y + patch <= height; y += step) {
    for (let x = 0; x + patch <= width; x += step) {
      // Whole in one block: the first and last pixel in the same block, and that block a training one.
      const sameBlock =
        Math.floor(x / blockSize) === Math.floor((x + patch - 1) / blockSize) &&
        Math.floor(y / blockSize) === Math.floor((y + patch - 1) / blockSize);
      if (!sameBlock || !training(x, y)) continue;
      let complete = true;
      for (let row = y; row < y + patch && complete; row++) {
        for (let column = x; column < x + patch; column++) {
          const i = row * width + column;
          if (!Number.isFinite(data.truth[i]) || !Number.isFinite(data.bicubic[i])) {
            complete = false;
            break;
          }
        }
      }
      if (complete) corners.push([x, y]);
    }
  }
  return corners;
}

/** Mean of each guide band over the grid's valid pixels: the fill of missing guide pixels in training patches. */
function guideBandMeans(data: CoarseScaleData): number[] {
  const size = data.grid.width * data.grid.height;
  return [0, 1, 2].map((band) => {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < size; i++) {
      const value = data.guide[band * size + i];
      if (Number.isFinite(value)) {
        sum += value;
        count += 1;
      }
    }
    return count > 0 ? sum / count : 0;
  });
}

/** A training batch (metres, guide interleaved with its NaN replaced by the band means of the grid). */
function batchOf(
  data: CoarseScaleData,
  means: readonly number[],
  picks: ReadonlyArray<[number, number]>,
  patch: number,
) {
  const { width, height } = data.grid;
  const size = width * height;
  const pixels = patch * patch;
  const coarse = new Float32Array(picks.length * pixels);
  const reference = new Float32Array(picks.length * pixels);
  const guide = new Float32Array(picks.length * pixels * 3);
  picks.forEach(([x, y], sample) => {
    for (let row = 0; row < patch; row++) {
      for (let column = 0; column < patch; column++) {
        const source = (y + row) * width + x + column;
        const target = sample * pixels + row * patch + column;
        coarse[target] = data.bicubic[source];
        reference[target] = data.truth[source];
        for (let band = 0; band < 3; band++) {
          const value = data.guide[band * size + source];
          guide[target * 3 + band] = Number.isFinite(value) ? value : means[band];
        }
      }
    }
  });
  const shape = [picks.length, patch, patch] as const;
  return {
    coarse: tf.tensor4d(coarse, [...shape, 1]),
    guide: tf.tensor4d(guide, [...shape, 3]),
    reference: tf.tensor4d(reference, [...shape, 1]),
  };
}

/** RMSE of bicubic and of a prediction over the held-out (non-training) pixels. */
function heldOutErrors(
  data: CoarseScaleData,
  prediction: Float32Array,
  training: (column: number, row: number) => boolean,
): HeldOutErrors {
  const { width, height } = data.grid;
  let bicubicSquares = 0;
  let modelSquares = 0;
  let count = 0;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      if (training(column, row)) continue;
      const i = row * width + column;
      const t = data.truth[i];
      const b = data.bicubic[i];
      const p = prediction[i];
      if (!(Number.isFinite(t) && Number.isFinite(b) && Number.isFinite(p))) continue;
      bicubicSquares += (t - b) ** 2;
      modelSquares += (t - p) ** 2;
      count += 1;
    }
  }
  const bicubicRmse = Math.sqrt(bicubicSquares / Math.max(1, count));
  const modelRmse = Math.sqrt(modelSquares / Math.max(1, count));
  return { bicubicRmse, modelRmse, gain: bicubicRmse > 0 ? 1 - modelRmse / bicubicRmse : 0 };
}
