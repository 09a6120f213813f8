import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BandSynthesisConfig } from './config.js';
import { attentionLoss, gradientPenalty, reconstructionLoss } from './losses.js';
import {
  attentionFromActivations,
  createBandCritic,
  createBandGenerator,
  criticAttention,
} from './networks.js';

/** One training batch, normalised (reflectances or digital numbers scaled to about [0, 1]). */
export interface BandSynthesisBatch {
  /** HR source bands (NIR, red, green), `[batch, height, width, 3]`. */
  readonly bands: tf.Tensor4D;
  /** The LR band upsampled to the HR grid (`y~`), `[batch, height, width, 1]`. */
  readonly upsampled: tf.Tensor4D;
  /** The HR band to synthesise (`y`), `[batch, height, width, 1]`. */
  readonly reference: tf.Tensor4D;
}

/** Loss values of one step. */
export interface BandSynthesisLosses {
  /** Total critic loss. */
  readonly critic: number;
  /** Wasserstein estimate `E[D(y)] - E[D(x^)]`. */
  readonly wasserstein: number;
  /** Gradient penalty (unweighted). */
  readonly gradientPenalty: number;
  /** Domain-adaptation loss (unweighted). */
  readonly domainAdaptation: number;
  /** Total generator loss. */
  readonly generator: number;
  /** L1 reconstruction (unweighted). */
  readonly reconstruction: number;
  /** Spatial-attention loss (unweighted). */
  readonly spatialAttention: number;
}

/**
 * Adversarial WGAN-GP training of the S2A generator and critic: `criticSteps` critic updates then one generator
 * update per {@link BandSynthesisTrainer.step}, each network with its own Adam (beta1 0.5, beta2 0.9).
 */
export class BandSynthesisTrainer {
  /** The resolved configuration. */
  readonly config: BandSynthesisConfig;
  /** The generator (see `createBandGenerator`). */
  readonly generator: tfl.LayersModel;
  /** The critic (see `createBandCritic`). */
  readonly critic: tfl.LayersModel;
  /** Adam of the generator. */
  readonly generatorOptimizer: tf.AdamOptimizer;
  /** Adam of the critic. */
  readonly criticOptimizer: tf.AdamOptimizer;

  /**
   * Builds both networks (or takes given ones) and their optimisers.
   *
   * @param config - A resolved configuration.
   * @param networks - Existing networks to train instead of new ones.
   */
  constructor(
    config: BandSynthesisConfig,
    networks: { readonly generator?: tfl.LayersModel; readonly critic?: tfl.LayersModel } = {},
  ) {
    this.config = config;
    this.generator = networks.generator ?? createBandGenerator(config);
    this.critic = networks.critic ?? createBandCritic(config);
    this.generatorOptimizer = tf.train.adam(config.learningRate, 0.5, 0.9);
    this.criticOptimizer = tf.train.adam(config.learningRate, 0.5, 0.9);
  }

  /**
   * One training step on a batch.
   *
   * @param batch - Normalised tensors; not disposed.
   * @param seed - Seed of the gradient-penalty interpolation weights (pass the step number for reproducible runs).
   * @returns The losses of the last critic update and of the generator update.
   */
  async step(batch: BandSynthesisBatch, seed: number): Promise<BandSynthesisLosses> {
    let criticTerms: number[] = [];
    for (let index = 0; index < this.config.criticSteps; index++) {
      criticTerms = await this.criticStep(batch, seed * 16 + index);
    }
    const generatorTerms = await this.generatorStep(batch);
    const [critic, wasserstein, penalty, domainAdaptation] = criticTerms;
    const [generator, reconstruction, spatialAttention] = generatorTerms;
    return {
      critic,
      wasserstein,
      gradientPenalty: penalty,
      domainAdaptation,
      generator,
      reconstruction,
      spatialAttention,
    };
  }

  /** Synthesises the band for a batch with the current weights (not trained through); the caller disposes it. */
  synthesize(batch: Pick<BandSynthesisBatch, 'bands' | 'upsampled'>, training = false): tf.Tensor4D {
    return tf.tidy(() => {
      const attention = criticAttention(this.critic, batch.upsampled, training);
      return this.generator.apply([batch.bands, attention, batch.upsampled], { training }) as tf.Tensor4D;
    });
  }

  private async criticStep(batch: BandSynthesisBatch, seed: number): Promise<number[]> {
    const weights = this.config.lossWeights;
    const fake = this.synthesize(batch);
    const mix = tf.randomUniform([batch.reference.shape[0], 1, 1, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
    let terms: tf.Tensor1D | undefined;
    const variables = this.critic.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const score = (x: tf.Tensor4D) => (this.critic.apply(x, { training: true }) as tf.Tensor[])[0];
      const wasserstein = tf.sub(tf.mean(score(batch.reference)), tf.mean(score(fake)));
      const penalty = gradientPenalty(score, batch.reference, fake, mix);
      const domain = attentionLoss(
        criticAttention(this.critic, batch.upsampled, true),
        criticAttention(this.critic, batch.reference, true),
      );
      const total = tf.addN([
        tf.neg(wasserstein),
        tf.mul(weights.gradientPenalty, penalty),
        tf.mul(weights.domainAdaptation, domain),
      ]) as tf.Scalar;
      terms = tf.keep(tf.stack([total, wasserstein, penalty, domain]) as tf.Tensor1D);
      return total;
    }, variables);
    this.criticOptimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    const values = Array.from(await terms!.data());
    tf.dispose([value, ...Object.values(grads), terms!, fake, mix]);
    return values;
  }

  private async generatorStep(batch: BandSynthesisBatch): Promise<number[]> {
    const weights = this.config.lossWeights;
    const attention = criticAttention(this.critic, batch.upsampled);
    const referenceAttention = criticAttention(this.critic, batch.reference);
    let terms: tf.Tensor1D | undefined;
    const variables = this.generator.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const fake = this.generator.apply([batch.bands, attention, batch.upsampled], {
        training: true,
      }) as tf.Tensor4D;
      const [score, ...activations] = this.critic.apply(fake) as tf.Tensor4D[];
      const adversarial = tf.neg(tf.mean(score));
      const reconstruction = reconstructionLoss(fake, batch.reference);
      const attentionTerm = attentionLoss(attentionFromActivations(activations), referenceAttention);
      const total = tf.addN([
        tf.mul(weights.adversarial, adversarial),
        tf.mul(weights.reconstruction, reconstruction),
        tf.mul(weights.spatialAttention, attentionTerm),
      ]) as tf.Scalar;
      terms = tf.keep(tf.stack([total, reconstruction, attentionTerm]) as tf.Tensor1D);
      return total;
    }, variables);
    this.generatorOptimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    const values = Array.from(await terms!.data());
    tf.dispose([value, ...Object.values(grads), terms!, attention, referenceAttention]);
    return values;
  }
}
