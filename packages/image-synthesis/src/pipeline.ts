import * as tf from '@tensorflow/tfjs-core';
import { compareSegmentations, type SynthesisEvaluation } from './evaluation.js';
import type { SpadeGanLosses, SpadeGanOptions } from './gan.js';
import type { ClassTable } from './normalization.js';
import {
  type BlockSplitOptions,
  type PatchLocation,
  scenePatchBatch,
  splitPatchesByBlocks,
} from './patches.js';
import { loadSynthesisScene, type SynthesisScene } from './scene.js';
import { describeTrainedModel, type SynthesisModel, saveSynthesisModel } from './synthesis-model.js';
import { trainSpadeGan } from './train.js';
import { createSegmentationUnet, segmentAndEmbed, segmentationStep } from './unet.js';

/** Options of {@link trainSynthesisModel}. */
export interface TrainSynthesisModelOptions {
  /** Land-cover, DEM and imagery files on one grid. */
  readonly files: { readonly landCover: string; readonly dem: string; readonly imagery: string };
  /** Classes of the land-cover raster. */
  readonly classTable: ClassTable;
  /** Names of the imagery bands, in file order. */
  readonly bandNames: readonly string[];
  /** Patch side and block split; `patchSize` is the generator's size. */
  readonly split: BlockSplitOptions;
  /** GAN options (generator size and classes are filled in). */
  readonly gan?: Omit<SpadeGanOptions, 'generator'> & { readonly generator?: SpadeGanOptions['generator'] };
  /** Training steps. */
  readonly steps: number;
  /** Patches per step. */
  readonly batchSize?: number;
  /** Checkpoint root (resumes from its newest checkpoint). */
  readonly checkpointDirectory?: string;
  /** Steps between checkpoints. */
  readonly checkpointEvery?: number;
  /** Where the trained model is written; not written when omitted. */
  readonly out?: string;
  /** Called after each step. */
  readonly onStep?: (step: number, losses: SpadeGanLosses) => void;
}

/**
 * Loads a scene, splits it by blocks, trains the SPADE GAN on the training patches and saves the generator with
 * its metadata.
 *
 * @param options - Files, classes, split, GAN options, steps, checkpoints and output.
 * @returns The model (the caller disposes `model.generator`), the scene and the patches of every split.
 * @throws The errors of {@link loadSynthesisScene}, {@link splitPatchesByBlocks} and {@link trainSpadeGan}.
 */
export async function trainSynthesisModel(
  options: TrainSynthesisModelOptions,
): Promise<{ model: SynthesisModel; scene: SynthesisScene; patches: PatchLocation[]; resumedFrom: number }> {
  const scene = await loadSynthesisScene({ ...options.files, classTable: options.classTable });
  const patches = splitPatchesByBlocks(scene.height, scene.width, options.split);
  const train = patches.filter((p) => p.split === 'train');
  const result = await trainSpadeGan({
    scene,
    patches: train,
    gan: {
      ...options.gan,
      generator: {
        ...options.gan?.generator,
        size: options.split.patchSize,
        classes: options.classTable.length,
      },
    },
    steps: options.steps,
    batchSize: options.batchSize,
    checkpointDirectory: options.checkpointDirectory,
    checkpointEvery: options.checkpointEvery,
    onStep: options.onStep,
  });
  const generatorOptions = result.gan.generatorOptions;
  const model: SynthesisModel = {
    generator: result.gan.generator,
    metadata: describeTrainedModel(generatorOptions, scene, train, options.bandNames, options.steps),
  };
  if (options.out !== undefined) await saveSynthesisModel(options.out, model);
  result.gan.discriminator.dispose();
  result.gan.generatorOptimizer.dispose();
  result.gan.discriminatorOptimizer.dispose();
  return { model, scene, patches, resumedFrom: result.resumedFrom };
}

/** Options of {@link evaluateSynthesisModel}. */
export interface EvaluateSynthesisModelOptions {
  /** U-Net training steps on real training patches (default 200). */
  readonly unetSteps?: number;
  /** Patches per U-Net step (default 8). */
  readonly batchSize?: number;
  /** Adam learning rate of the U-Net (default 2e-3). */
  readonly learningRate?: number;
  /** U-Net width (default 8). */
  readonly baseFilters?: number;
  /** Called after each U-Net step. */
  readonly onStep?: (step: number, loss: number) => void;
}

/**
 * Trains a small U-Net on real training patches only, then segments the real and the synthesised test patches:
 * mIoU and pixel accuracy against the labels and against each other, and the Fréchet distance of its features.
 *
 * @param model - The synthesis model.
 * @param scene - The scene with imagery, normalised as in training.
 * @param patches - Patches with splits; the U-Net trains on `train`, the scores use `test`.
 * @param options - U-Net training.
 * @returns The scores.
 * @throws RangeError if the scene has no imagery or a split is empty.
 */
export function evaluateSynthesisModel(
  model: SynthesisModel,
  scene: SynthesisScene,
  patches: readonly PatchLocation[],
  options: EvaluateSynthesisModelOptions = {},
): SynthesisEvaluation {
  const size = model.metadata.generator.size;
  const train = patches.filter((p) => p.split === 'train');
  const test = patches.filter((p) => p.split === 'test');
  if (scene.image === null || train.length === 0 || test.length < 2)
    throw new RangeError(
      `evaluateSynthesisModel: need imagery, training patches and two test patches (have ${train.length} and ${test.length})`,
    );
  const classes = scene.classTable.length;
  const unet = createSegmentationUnet({
    size,
    classes,
    inputChannels: scene.bands,
    baseFilters: options.baseFilters ?? 8,
    seed: 7,
  });
  const optimizer = tf.train.adam(options.learningRate ?? 2e-3);
  const batchSize = options.batchSize ?? 8;
  const steps = options.unetSteps ?? 200;
  for (let step = 0; step < steps; step++) {
    const selected = Array.from(
      { length: batchSize },
      (_, i) => train[(step * batchSize + i) % train.length],
    );
    const batch = scenePatchBatch(scene, selected, size);
    const loss = segmentationStep(unet, optimizer, batch.image, batch.landCover);
    tf.dispose(Object.values(batch));
    options.onStep?.(step + 1, loss);
  }
  const batch = scenePatchBatch(scene, test, size);
  const inputs: tf.Tensor4D[] = [];
  if (model.metadata.generator.encoder) inputs.push(batch.raster);
  if (model.metadata.generator.normalization === 'spade') inputs.push(batch.landCover);
  const synthesized = model.generator.predict(inputs) as tf.Tensor4D;
  const labels = tf.tidy(() => {
    const hasClass = tf.sum(batch.landCover, -1);
    return tf
      .where(tf.greater(hasClass, 0), tf.argMax(batch.landCover, -1), tf.fill(hasClass.shape, -1, 'int32'))
      .dataSync();
  });
  const evaluation = compareSegmentations(
    labels,
    segmentAndEmbed(unet, batch.image),
    segmentAndEmbed(unet, synthesized),
    classes,
  );
  tf.dispose([...Object.values(batch), synthesized]);
  optimizer.dispose();
  unet.dispose();
  return evaluation;
}
