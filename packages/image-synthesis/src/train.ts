import * as tf from '@tensorflow/tfjs-core';
import { restoreSynthesisCheckpoint, saveSynthesisCheckpoint } from './checkpoint.js';
import { SpadeGan, type SpadeGanLosses, type SpadeGanOptions } from './gan.js';
import { type PatchLocation, scenePatchBatch } from './patches.js';
import type { SynthesisScene } from './scene.js';

/** Options of {@link trainSpadeGan}. */
export interface TrainSpadeGanOptions {
  /** The normalised training scene (with imagery). */
  readonly scene: SynthesisScene;
  /** Training patches (their top-left corners). */
  readonly patches: readonly Pick<PatchLocation, 'row' | 'column'>[];
  /** GAN options; `generator.size` is the patch size and `generator.classes` must match the class table. */
  readonly gan: SpadeGanOptions;
  /** Total training steps (a resumed run continues up to this step). */
  readonly steps: number;
  /** Patches per step (default 4). */
  readonly batchSize?: number;
  /** Seed of the patch order (default 0). */
  readonly seed?: number;
  /** Checkpoint root; no checkpoints when omitted. */
  readonly checkpointDirectory?: string;
  /** Steps between checkpoints (default 50); the last step is always saved. */
  readonly checkpointEvery?: number;
  /** Called after each step. */
  readonly onStep?: (step: number, losses: SpadeGanLosses) => void;
}

/** What {@link trainSpadeGan} returns. */
export interface TrainSpadeGanResult {
  /** The trained GAN; the caller disposes it. */
  readonly gan: SpadeGan;
  /** The step training resumed from (0 for a fresh run). */
  readonly resumedFrom: number;
  /** Losses of the steps run in this call. */
  readonly history: readonly SpadeGanLosses[];
}

/**
 * The patch indices of a step: epochs are seeded permutations of all patches, so any step's batch can be
 * computed from its number (a resumed run sees the same batches as an uninterrupted one).
 *
 * @param count - Number of patches.
 * @param step - Step number (0-based).
 * @param batchSize - Patches per step.
 * @param seed - Seed.
 * @returns Indices into the patch list.
 */
export function batchIndices(count: number, step: number, batchSize: number, seed: number): number[] {
  const indices: number[] = [];
  for (let k = step * batchSize; k < (step + 1) * batchSize; k++) {
    const epoch = Math.floor(k / count);
    const order = Array.from({ length: count }, (_, i) => i);
    let state = (seed * 7919 + epoch * 104729 + 1) >>> 0;
    for (let i = count - 1; i > 0; i--) {
      state = (Math.imul(state ^ (state >>> 13), 1597334677) + 2654435769) >>> 0;
      const j = state % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    indices.push(order[k % count]);
  }
  return indices;
}

/**
 * Trains a SPADE GAN on patches of a scene, with checkpoints and resume from the newest one.
 *
 * @param options - Scene, patches, GAN options, steps, checkpointing.
 * @returns The GAN, the step resumed from and the losses.
 * @throws RangeError if the scene has no imagery, no patches are given, or the classes do not match.
 * @remarks A checkpoint holds both models (with the spectral-normalisation vectors) and both Adam states, so a
 *   resumed run continues exactly as the uninterrupted one would on the same backend.
 */
export async function trainSpadeGan(options: TrainSpadeGanOptions): Promise<TrainSpadeGanResult> {
  const { scene, patches } = options;
  if (scene.image === null) throw new RangeError('trainSpadeGan: the scene has no imagery to learn from');
  if (patches.length === 0) throw new RangeError('trainSpadeGan: no training patches');
  const classes = options.gan.generator.classes ?? scene.classTable.length;
  if (classes !== scene.classTable.length)
    throw new RangeError(
      `trainSpadeGan: generator.classes ${classes} differs from the class table's ${scene.classTable.length}`,
    );
  const size = options.gan.generator.size as number;
  const gan = new SpadeGan({
    ...options.gan,
    generator: { ...options.gan.generator, classes, outputChannels: scene.bands },
  });
  const batchSize = options.batchSize ?? 4;
  const seed = options.seed ?? 0;
  const every = options.checkpointEvery ?? 50;
  const models = { generator: gan.generator, discriminator: gan.discriminator };
  const optimizers = { generator: gan.generatorOptimizer, discriminator: gan.discriminatorOptimizer };
  let start = 0;
  if (options.checkpointDirectory !== undefined) {
    // Adam creates its state on the first update; restoring needs the variables to exist, which they do.
    const restored = await restoreSynthesisCheckpoint(options.checkpointDirectory, models, optimizers);
    start = restored?.step ?? 0;
  }
  const history: SpadeGanLosses[] = [];
  for (let step = start; step < options.steps; step++) {
    const selected = batchIndices(patches.length, step, batchSize, seed).map((i) => patches[i]);
    const batch = scenePatchBatch(scene, selected, size);
    const losses = gan.step(batch);
    tf.dispose([batch.raster, batch.landCover, batch.image]);
    history.push(losses);
    options.onStep?.(step + 1, losses);
    const done = step + 1;
    if (options.checkpointDirectory !== undefined && (done % every === 0 || done === options.steps)) {
      await saveSynthesisCheckpoint(options.checkpointDirectory, {
        step: done,
        metadata: { losses },
        models,
        optimizers,
      });
    }
  }
  return { gan, resumedFrom: start, history };
}
