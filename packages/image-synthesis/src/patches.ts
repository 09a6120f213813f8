import * as tf from '@tensorflow/tfjs-core';
import type { SynthesisBatch } from './gan.js';
import { oneHot } from './normalization.js';
import type { SynthesisScene } from './scene.js';

/** A dataset split. */
export type SplitName = 'train' | 'validation' | 'test';

/** A patch: its top-left pixel and split. */
export interface PatchLocation {
  /** First row. */
  readonly row: number;
  /** First column. */
  readonly column: number;
  /** The split of the block the patch lies in. */
  readonly split: SplitName;
}

/** Options of {@link splitPatchesByBlocks}. */
export interface BlockSplitOptions {
  /** Patch side, pixels. */
  readonly patchSize: number;
  /** Step between patches inside a block, pixels (default: `patchSize`). */
  readonly stride?: number;
  /** Block side, pixels (at least `patchSize`; default `4 * patchSize`). */
  readonly blockSize?: number;
  /** Share of blocks for validation (default 0.15). */
  readonly validationFraction?: number;
  /** Share of blocks for test (default 0.15). */
  readonly testFraction?: number;
  /** Seed of the block shuffle (default 0). */
  readonly seed?: number;
}

function shuffled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let state = (seed * 2654435761 + 1) >>> 0;
  for (let i = count - 1; i > 0; i--) {
    state = (Math.imul(state ^ (state >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Tiles a scene into square blocks, assigns whole blocks to train, validation and test (seeded shuffle), and
 * places patches entirely inside each block, so no pixel is shared between splits.
 *
 * @param height - Scene rows.
 * @param width - Scene columns.
 * @param options - Patch and block sizes, fractions and seed.
 * @returns The patches of every split.
 * @throws RangeError if `blockSize < patchSize` or the scene holds no block.
 */
export function splitPatchesByBlocks(
  height: number,
  width: number,
  options: BlockSplitOptions,
): PatchLocation[] {
  const { patchSize } = options;
  const stride = options.stride ?? patchSize;
  const blockSize = options.blockSize ?? 4 * patchSize;
  if (blockSize < patchSize || patchSize < 1 || stride < 1)
    throw new RangeError(
      `splitPatchesByBlocks: blockSize ${blockSize} must be >= patchSize ${patchSize} >= 1`,
    );
  const blockRows = Math.floor(height / blockSize);
  const blockColumns = Math.floor(width / blockSize);
  if (blockRows * blockColumns === 0)
    throw new RangeError(
      `splitPatchesByBlocks: a ${height} x ${width} scene holds no ${blockSize}-pixel block`,
    );
  const count = blockRows * blockColumns;
  const order = shuffled(count, options.seed ?? 0);
  const tests = Math.round(count * (options.testFraction ?? 0.15));
  const validations = Math.round(count * (options.validationFraction ?? 0.15));
  const patches: PatchLocation[] = [];
  order.forEach((block, rank) => {
    const split: SplitName = rank < tests ? 'test' : rank < tests + validations ? 'validation' : 'train';
    const top = Math.floor(block / blockColumns) * blockSize;
    const left = (block % blockColumns) * blockSize;
    for (let row = top; row + patchSize <= top + blockSize; row += stride)
      for (let column = left; column + patchSize <= left + blockSize; column += stride)
        patches.push({ row, column, split });
  });
  return patches;
}

/**
 * Cuts patches out of a scene into a batch of tensors.
 *
 * @param scene - The normalised scene (with imagery for training; without, `image` is zeros).
 * @param patches - Top-left corners.
 * @param patchSize - Patch side.
 * @returns Raster `[n, s, s, 1]`, one-hot land cover `[n, s, s, classes]` and image `[n, s, s, bands]`; the
 *   caller disposes them.
 */
export function scenePatchBatch(
  scene: SynthesisScene,
  patches: readonly Pick<PatchLocation, 'row' | 'column'>[],
  patchSize: number,
): SynthesisBatch {
  const n = patches.length;
  const pixels = patchSize * patchSize;
  const classCount = scene.classTable.length;
  const bands = Math.max(scene.bands, 1);
  const dem = new Float32Array(n * pixels);
  const indices = new Int32Array(n * pixels);
  const image = new Float32Array(n * pixels * bands);
  patches.forEach(({ row, column }, p) => {
    for (let r = 0; r < patchSize; r++)
      for (let c = 0; c < patchSize; c++) {
        const source = (row + r) * scene.width + column + c;
        const target = p * pixels + r * patchSize + c;
        dem[target] = scene.dem[source];
        indices[target] = scene.classes[source];
        if (scene.image)
          for (let b = 0; b < bands; b++) image[target * bands + b] = scene.image[source * bands + b];
      }
  });
  return {
    raster: tf.tensor4d(dem, [n, patchSize, patchSize, 1]),
    landCover: tf.tensor4d(oneHot(indices, classCount), [n, patchSize, patchSize, classCount]),
    image: tf.tensor4d(image, [n, patchSize, patchSize, bands]),
  };
}
