import * as tf from '@tensorflow/tfjs-core';
import { isAblated } from './config.js';
import { recomputeBlocks } from './internal/recompute.js';
import { discriminatorLoss, generatorLoss } from './losses.js';
import { type SiranModel, spatialAttention } from './model.js';
import { normalizeElevation, normalizeInputs } from './normalization.js';

/** One batch in physical units: metres for the DEMs, source units for the guide. */
export interface TrainingBatch {
  /** Coarse DEM on the guide grid, metres, `[batch, height, width, 1]`. */
  readonly coarse: tf.Tensor4D;
  /** Guide (NIR, red, green), `[batch, height, width, 3]`. */
  readonly guide: tf.Tensor4D;
  /** Reference DEM, metres, `[batch, height, width, 1]`. */
  readonly reference: tf.Tensor4D;
}

/** The losses of one step, as numbers. */
export interface StepLosses {
  readonly generator: number;
  readonly pixel: number;
  readonly ssim: number;
  readonly adversarial: number;
  readonly sinkhorn: number;
  readonly discriminator: number;
  readonly discriminatorAdversarial: number;
  readonly domainAdaptation: number;
}

/** What a step did. */
export interface StepResult {
  /** Loss values (possibly non-finite when the step was refused). */
  readonly losses: StepLosses;
  /** False when a loss or gradient was not finite: no weight was changed. */
  readonly applied: boolean;
  /** Which network's update was refused, when `applied` is false. */
  readonly refused?: 'generator' | 'discriminator';
}

/** Options of a {@link SiranTrainer}. */
export interface SiranTrainerOptions {
  /**
   * Gradient checkpointing: the DMRB, FSGT and window-attention blocks of both networks keep only their input for
   * the backward pass and run their forward pass again there. Same gradients, about a third more compute, and the
   * activations of one block at a time instead of all of them. Default: on from 64 channels (the `paper` width:
   * without it one step at batch 4 x 128 x 128 holds more than 20 GiB), off below. The blocks stay wrapped: a
   * later trainer of the same model recomputes too.
   */
  readonly recompute?: boolean;
}

/**
 * Adversarial training of a {@link SiranModel}: Adam for the generator (with the attention head) and for the
 * discriminator, one discriminator update per generator update.
 */
export class SiranTrainer {
  /** The model trained. */
  readonly model: SiranModel;
  /** Optimiser of the generator and the attention head. */
  readonly generatorOptimizer: tf.AdamOptimizer;
  /** Optimiser of the discriminator. */
  readonly discriminatorOptimizer: tf.AdamOptimizer;
  /** Whether the blocks are recomputed in the backward pass (see {@link SiranTrainerOptions.recompute}). */
  readonly recompute: boolean;

  /**
   * Creates the two Adam optimisers with the configuration's learning rate.
   *
   * @param model - The networks to train.
   * @param options - See {@link SiranTrainerOptions}.
   */
  constructor(model: SiranModel, options: SiranTrainerOptions = {}) {
    this.model = model;
    this.recompute = options.recompute ?? model.config.channels >= 64;
    if (this.recompute) {
      recomputeBlocks(model.generator);
      recomputeBlocks(model.discriminator);
    }
    const { learningRate } = model.config;
    this.generatorOptimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
    this.discriminatorOptimizer = tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
  }

  /** Variables updated by the generator step. */
  generatorVariables(): tf.Variable[] {
    const { generator, attentionHead, config } = this.model;
    const head =
      isAblated(config, 'no-dsa') || isAblated(config, 'no-psa') ? [] : attentionHead.trainableWeights;
    return [...generator.trainableWeights, ...head].map((weight) => weight.read() as tf.Variable);
  }

  /** Variables updated by the discriminator step. */
  discriminatorVariables(): tf.Variable[] {
    return this.model.discriminator.trainableWeights.map((weight) => weight.read() as tf.Variable);
  }

  /**
   * One generator update then one discriminator update on a batch.
   *
   * @param batch - Tensors in metres / source units; not disposed.
   * @returns A promise of the losses and whether the updates were applied. A non-finite loss or gradient refuses the update
   *   of that network (its weights and optimiser state stay as they were).
   */
  async step(batch: TrainingBatch): Promise<StepResult> {
    const { model } = this;
    const { config } = model;
    const normalized = normalizeInputs(batch.coarse, batch.guide, model.normalization);
    const reference = normalizeElevation(batch.reference, normalized);
    const reliefTensor = tf.tidy(() => tf.sub(tf.max(reference), tf.min(reference)));
    const relief = (await reliefTensor.data())[0];
    reliefTensor.dispose();
    // A non-finite relief means non-finite data: the loss becomes non-finite and the step is refused below.
    const dataRange = Number.isFinite(relief) ? Math.max(1e-3, relief) : 1;
    let prediction: tf.Tensor4D | undefined;
    let generatorTerms: tf.Tensor1D | undefined;
    try {
      const generatorStep = tf.variableGrads(() => {
        const attention = spatialAttention(model, normalized.coarse, true);
        const output = model.generator.apply([normalized.coarse, normalized.guide, attention], {
          training: true,
        }) as tf.Tensor4D;
        const [fakeLogits] = model.discriminator.apply(output, { training: true }) as tf.Tensor[];
        const terms = generatorLoss(output, reference, fakeLogits, config, dataRange);
        prediction = tf.keep(output);
        generatorTerms = tf.keep(
          tf.stack([terms.total, terms.pixel, terms.ssim, terms.adversarial, terms.sinkhorn]) as tf.Tensor1D,
        );
        return terms.total;
      }, this.generatorVariables());
      const [generatorTotal, pixel, ssim, adversarial, sinkhorn] = Array.from(await generatorTerms!.data());
      const generatorFinite = await allFinite(generatorStep.value, generatorStep.grads);
      if (generatorFinite)
        this.generatorOptimizer.applyGradients(generatorStep.grads as unknown as Record<string, tf.Variable>);
      tf.dispose([generatorStep.value, ...Object.values(generatorStep.grads)]);

      const discriminatorInput = prediction!;
      let discriminatorTerms: tf.Tensor1D | undefined;
      const discriminatorStep = tf.variableGrads(() => {
        const [realLogits, ...referenceActivations] = model.discriminator.apply(reference, {
          training: true,
        }) as tf.Tensor4D[];
        const [fakeLogits] = model.discriminator.apply(discriminatorInput, { training: true }) as tf.Tensor[];
        const [, ...coarseActivations] = model.discriminator.apply(normalized.coarse, {
          training: true,
        }) as tf.Tensor4D[];
        const terms = discriminatorLoss(
          realLogits,
          fakeLogits,
          coarseActivations,
          referenceActivations,
          config,
        );
        discriminatorTerms = tf.keep(
          tf.stack([terms.total, terms.adversarial, terms.domainAdaptation]) as tf.Tensor1D,
        );
        return terms.total;
      }, this.discriminatorVariables());
      const [discriminator, discriminatorAdversarial, domainAdaptation] = Array.from(
        await discriminatorTerms!.data(),
      );
      const discriminatorFinite = await allFinite(discriminatorStep.value, discriminatorStep.grads);
      if (discriminatorFinite && generatorFinite)
        this.discriminatorOptimizer.applyGradients(
          discriminatorStep.grads as unknown as Record<string, tf.Variable>,
        );
      tf.dispose([discriminatorStep.value, ...Object.values(discriminatorStep.grads), discriminatorTerms!]);

      const losses = {
        generator: generatorTotal,
        pixel,
        ssim,
        adversarial,
        sinkhorn,
        discriminator,
        discriminatorAdversarial,
        domainAdaptation,
      };
      if (!generatorFinite) return { losses, applied: false, refused: 'generator' };
      if (!discriminatorFinite) return { losses, applied: false, refused: 'discriminator' };
      return { losses, applied: true };
    } finally {
      tf.dispose([normalized.coarse, normalized.guide, normalized.offset, normalized.scale, reference]);
      if (prediction) prediction.dispose();
      if (generatorTerms) generatorTerms.dispose();
    }
  }
}

/** Whether a loss and all its gradients are finite; read asynchronously (WebGPU in Node has no sync read). */
async function allFinite(value: tf.Scalar, gradients: tf.NamedTensorMap): Promise<boolean> {
  const total = tf.tidy(() =>
    tf.addN([tf.mul(value, 0), ...Object.values(gradients).map((gradient) => tf.mul(tf.sum(gradient), 0))]),
  );
  const [loss] = await value.data();
  const [sum] = await total.data();
  total.dispose();
  return Number.isFinite(loss) && Number.isFinite(sum);
}
