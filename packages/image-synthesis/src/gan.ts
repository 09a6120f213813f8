import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  createMultiscaleDiscriminator,
  defaultDiscriminatorScales,
  type MultiscaleDiscriminatorOptions,
  splitDiscriminatorOutputs,
} from './discriminator.js';
import {
  createSpadeGenerator,
  DEFAULT_SPADE_GENERATOR_OPTIONS,
  type SpadeGeneratorOptions,
} from './generator.js';
import { featureMatchingLoss, hingeDiscriminatorLoss, hingeGeneratorLoss } from './losses.js';

/** One training batch: co-registered patches, all `[batch, size, size, channels]`. */
export interface SynthesisBatch {
  /** The raster input (normalised DEM), `[batch, size, size, rasterChannels]`. */
  readonly raster: tf.Tensor4D;
  /** The one-hot land-cover map, `[batch, size, size, classes]`. */
  readonly landCover: tf.Tensor4D;
  /** The real image in [-1, 1], `[batch, size, size, outputChannels]`. */
  readonly image: tf.Tensor4D;
}

/** Options of {@link SpadeGan}. */
export interface SpadeGanOptions {
  /** Generator options; `size` and `classes` are required. */
  readonly generator: SpadeGeneratorOptions;
  /** Discriminator options other than size and input channels (taken from the generator). */
  readonly discriminator?: Omit<MultiscaleDiscriminatorOptions, 'size' | 'inputChannels'>;
  /** Learning rate of the generator's Adam. */
  readonly generatorLearningRate?: number;
  /** Learning rate of the discriminator's Adam. */
  readonly discriminatorLearningRate?: number;
  /** Adam beta1 of both optimisers. */
  readonly beta1?: number;
  /** Adam beta2 of both optimisers. */
  readonly beta2?: number;
  /** Weight of the feature-matching loss in the generator objective. */
  readonly featureMatchingWeight?: number;
}

/** Defaults of {@link SpadeGanOptions}: Baier et al.'s Adam settings and pix2pixHD's feature-matching weight. */
export const DEFAULT_SPADE_GAN_OPTIONS = {
  generatorLearningRate: 1e-4,
  discriminatorLearningRate: 4e-4,
  beta1: 0,
  beta2: 0.9,
  featureMatchingWeight: 10,
} as const;

/** Losses of one {@link SpadeGan.step}, as numbers. */
export interface SpadeGanLosses {
  /** Hinge loss of the discriminator. */
  readonly discriminator: number;
  /** Hinge (adversarial) loss of the generator. */
  readonly adversarial: number;
  /** Feature-matching loss (unweighted). */
  readonly featureMatching: number;
  /** The generator objective: adversarial + weight * feature matching. */
  readonly generator: number;
}

/**
 * A SPADE GAN: generator, conditional multiscale discriminator, their Adam optimisers and the training step.
 *
 * @remarks The discriminator sees the image concatenated with the one-hot map. One discriminator update per
 *   generator update. Call {@link SpadeGan.dispose} when done.
 * @example
 * ```ts
 * const gan = new SpadeGan({ generator: { size: 32, classes: 8, baseFilters: 8 } });
 * const losses = gan.step({ raster, landCover, image });
 * ```
 */
export class SpadeGan {
  /** The generator. */
  readonly generator: tfl.LayersModel;
  /** The discriminator. */
  readonly discriminator: tfl.LayersModel;
  /** Adam of the generator. */
  readonly generatorOptimizer: tf.AdamOptimizer;
  /** Adam of the discriminator. */
  readonly discriminatorOptimizer: tf.AdamOptimizer;
  /** Resolved generator options. */
  readonly generatorOptions: Required<SpadeGeneratorOptions>;
  /** Number of discriminator scales. */
  readonly scales: number;
  /** Weight of the feature-matching loss. */
  readonly featureMatchingWeight: number;

  /**
   * @param options - See {@link SpadeGanOptions}.
   * @throws RangeError for invalid generator or discriminator sizes.
   */
  constructor(options: SpadeGanOptions) {
    const o = { ...DEFAULT_SPADE_GAN_OPTIONS, ...options };
    this.generatorOptions = { ...DEFAULT_SPADE_GENERATOR_OPTIONS, ...stripUndefined(o.generator) };
    const g = this.generatorOptions;
    this.generator = createSpadeGenerator(g);
    this.scales = o.discriminator?.scales ?? defaultDiscriminatorScales(g.size);
    this.discriminator = createMultiscaleDiscriminator({
      ...o.discriminator,
      scales: this.scales,
      size: g.size,
      inputChannels: g.outputChannels + g.classes,
      seed: o.discriminator?.seed ?? (g.seed === null ? null : g.seed + 1000),
    });
    this.generatorOptimizer = tf.train.adam(o.generatorLearningRate, o.beta1, o.beta2) as tf.AdamOptimizer;
    this.discriminatorOptimizer = tf.train.adam(
      o.discriminatorLearningRate,
      o.beta1,
      o.beta2,
    ) as tf.AdamOptimizer;
    this.featureMatchingWeight = o.featureMatchingWeight;
  }

  /**
   * The generator's inputs for a batch, in the model's order.
   *
   * @param batch - Raster and land cover (the image is not used).
   * @returns The tensors of `batch` the generator takes (not copied).
   */
  generatorInputs(batch: Pick<SynthesisBatch, 'raster' | 'landCover'>): tf.Tensor4D[] {
    const inputs: tf.Tensor4D[] = [];
    if (this.generatorOptions.encoder) inputs.push(batch.raster);
    if (this.generatorOptions.normalization === 'spade') inputs.push(batch.landCover);
    return inputs;
  }

  /**
   * Synthesises images (inference mode).
   *
   * @param batch - Raster and land cover.
   * @returns `[batch, size, size, outputChannels]` in [-1, 1]; the caller disposes it.
   */
  synthesize(batch: Pick<SynthesisBatch, 'raster' | 'landCover'>): tf.Tensor4D {
    return tf.tidy(
      () => this.generator.apply(this.generatorInputs(batch), { training: false }) as tf.Tensor4D,
    );
  }

  /**
   * The discriminator's per-scale features and logits on an image conditioned on the map.
   *
   * @param image - `[batch, size, size, outputChannels]`.
   * @param landCover - `[batch, size, size, classes]`.
   * @returns Per scale, features and logits; the caller disposes them (or runs this inside `tf.tidy`).
   */
  discriminate(image: tf.Tensor4D, landCover: tf.Tensor4D): { features: tf.Tensor[]; logits: tf.Tensor }[] {
    const outputs = this.discriminator.apply(tf.concat([image, landCover], -1), {
      training: true,
    }) as tf.Tensor[];
    return splitDiscriminatorOutputs(outputs, this.scales);
  }

  /**
   * One discriminator update, then one generator update, on a batch.
   *
   * @param batch - Real patches.
   * @returns The losses before the updates.
   */
  step(batch: SynthesisBatch): SpadeGanLosses {
    const discriminator = this.discriminatorStep(batch);
    return { discriminator, ...this.generatorStep(batch) };
  }

  /**
   * One Adam update of the discriminator (hinge loss) on a batch and the generator's current output.
   *
   * @param batch - Real patches.
   * @returns The discriminator's loss before the update.
   */
  discriminatorStep(batch: SynthesisBatch): number {
    const variables = this.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
    const fake = tf.tidy(
      () => this.generator.apply(this.generatorInputs(batch), { training: true }) as tf.Tensor4D,
    );
    const loss = this.discriminatorOptimizer.minimize(
      () => {
        const real = this.discriminate(batch.image, batch.landCover).map((s) => s.logits);
        const fakeLogits = this.discriminate(fake, batch.landCover).map((s) => s.logits);
        return hingeDiscriminatorLoss(real, fakeLogits);
      },
      true,
      variables,
    ) as tf.Scalar;
    fake.dispose();
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  }

  /**
   * One Adam update of the generator (hinge + weighted feature matching) on a batch.
   *
   * @param batch - Real patches.
   * @returns The generator's losses before the update.
   */
  generatorStep(batch: SynthesisBatch): Omit<SpadeGanLosses, 'discriminator'> {
    const variables = this.generator.trainableWeights.map((w) => w.read() as tf.Variable);
    const realFeatures = tf.tidy(() =>
      this.discriminate(batch.image, batch.landCover).map((s) => s.features),
    );
    let adversarial = 0;
    let featureMatching = 0;
    const loss = this.generatorOptimizer.minimize(
      () => {
        const image = this.generator.apply(this.generatorInputs(batch), { training: true }) as tf.Tensor4D;
        const scales = this.discriminate(image, batch.landCover);
        const adv = hingeGeneratorLoss(scales.map((s) => s.logits));
        const fm = featureMatchingLoss(
          realFeatures,
          scales.map((s) => s.features),
        );
        adversarial = adv.dataSync()[0];
        featureMatching = fm.dataSync()[0];
        return tf.add(adv, tf.mul(fm, this.featureMatchingWeight)) as tf.Scalar;
      },
      true,
      variables,
    ) as tf.Scalar;
    tf.dispose(realFeatures);
    const generator = loss.dataSync()[0];
    loss.dispose();
    return { adversarial, featureMatching, generator };
  }

  /** Disposes both models and optimisers. */
  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.generatorOptimizer.dispose();
    this.discriminatorOptimizer.dispose();
  }
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
