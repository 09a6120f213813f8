import { attentionMaps, combinedAttention, ResidualConvBlock } from '@siran/dmrb-layers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BandSynthesisConfig } from './config.js';

type Symbolic = tfl.SymbolicTensor;

function convolution(
  name: string,
  filters: number,
  kernelSize: number,
  seed: number,
  strides = 1,
  scale = 1,
) {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: 'same',
    kernelInitializer: tfl.initializers.varianceScaling({
      scale,
      mode: 'fanAvg',
      distribution: 'uniform',
      seed,
    }),
  });
}

const leaky = (name: string) => tfl.layers.leakyReLU({ name, alpha: 0.2 });

/**
 * Combines the source-band features with the attention map: concatenation before the encoder, or feature
 * modulation `f * (1 + gamma(A)) + beta(A)` after it (gamma, beta: 3x3 convolutions of the map).
 */
function encode(bands: Symbolic, attention: Symbolic, config: BandSynthesisConfig): Symbolic {
  const { channels, seed } = config;
  if (config.attentionCombination === 'concatenate') {
    const joined = tfl.layers.concatenate({ name: 'g_input' }).apply([bands, attention]) as Symbolic;
    return leaky('g_encoder_act').apply(
      convolution('g_encoder_conv', channels, 3, seed).apply(joined),
    ) as Symbolic;
  }
  const features = leaky('g_encoder_act').apply(
    convolution('g_encoder_conv', channels, 3, seed).apply(bands),
  ) as Symbolic;
  const hidden = leaky('g_attention_act').apply(
    convolution('g_attention_conv', channels, 3, seed + 1).apply(attention),
  ) as Symbolic;
  const gamma = convolution('g_attention_gamma', channels, 3, seed + 2, 1, 0.1).apply(hidden) as Symbolic;
  const beta = convolution('g_attention_beta', channels, 3, seed + 3, 1, 0.1).apply(hidden) as Symbolic;
  const scaled = tfl.layers.multiply({ name: 'g_modulate_scale' }).apply([features, gamma]) as Symbolic;
  return tfl.layers.add({ name: 'g_modulate' }).apply([features, scaled, beta]) as Symbolic;
}

/**
 * Builds the S2A generator.
 *
 * @param config - A resolved configuration (see `resolveBandSynthesisConfig`).
 * @returns A tfjs-layers model with inputs `bands` `[batch, height, width, 3]` (HR NIR, red, green, normalised),
 *   `attention` `[batch, height, width, 1]` (the critic's `A_S` of the upsampled LR band) and `upsampled`
 *   `[batch, height, width, 1]` (the upsampled LR band, normalised), and one output, the HR band
 *   `[batch, height, width, 1]`.
 * @remarks Encoder (attention combined by `config.attentionCombination`) -> `generatorBlocks` residual convolution
 *   blocks -> 3x3 convolution plus a global skip -> 1x1 convolution. With `residual` the output is added to
 *   `upsampled` (the last convolution starts near zero, so an untrained generator returns the upsampled band);
 *   without it `upsampled` is an input the model does not read (kept so both variants are called alike).
 * @example
 * ```ts
 * const generator = createBandGenerator(resolveBandSynthesisConfig({ channels: 8 }));
 * const band = generator.predict([bands, attention, upsampled]) as tf.Tensor4D;
 * ```
 */
export function createBandGenerator(config: BandSynthesisConfig): tfl.LayersModel {
  const bands = tfl.input({ shape: [null, null, 3], name: 'bands' });
  const attention = tfl.input({ shape: [null, null, 1], name: 'attention' });
  const upsampled = tfl.input({ shape: [null, null, 1], name: 'upsampled' });
  const encoded = encode(bands, attention, config);
  let features = encoded;
  for (let index = 0; index < config.generatorBlocks; index++) {
    features = new ResidualConvBlock({ name: `g_rcb${index}`, seed: config.seed + 100 + index }).apply(
      features,
    ) as Symbolic;
  }
  const decoded = convolution('g_decoder_conv', config.channels, 3, config.seed + 4).apply(
    features,
  ) as Symbolic;
  const skipped = leaky('g_decoder_act').apply(
    tfl.layers.add({ name: 'g_global_skip' }).apply([decoded, encoded]),
  ) as Symbolic;
  let output = convolution('g_output_conv', 1, 1, config.seed + 5, 1, config.residual ? 1e-4 : 1).apply(
    skipped,
  ) as Symbolic;
  if (config.residual) output = tfl.layers.add({ name: 'g_residual' }).apply([output, upsampled]) as Symbolic;
  else {
    // A zero-weight path keeps `upsampled` connected, so the two variants share one call signature.
    const unused = tfl.layers
      .conv2d({
        name: 'g_unused',
        filters: 1,
        kernelSize: 1,
        useBias: false,
        trainable: false,
        kernelInitializer: 'zeros',
      })
      .apply(upsampled) as Symbolic;
    output = tfl.layers.add({ name: 'g_output' }).apply([output, unused]) as Symbolic;
  }
  return tfl.model({ name: 's2a_generator', inputs: [bands, attention, upsampled], outputs: output });
}

/**
 * Builds the S2A WGAN critic on one band.
 *
 * @param config - A resolved configuration.
 * @returns A tfjs-layers model with input `band` `[batch, height, width, 1]` (normalised) and outputs
 *   `[score [batch, 1], a_1, ..., a_k]`: the unbounded Wasserstein critic score, then the activations after each
 *   of the `k = criticBlocks` residual blocks `[batch, height, width, channels]`, from which {@link criticAttention}
 *   computes `A_S`.
 * @remarks Encoder 3x3 conv -> residual blocks -> two stride-2 3x3 convs -> global average -> dense 1. No
 *   normalisation layer (the gradient penalty is per sample, which batch normalisation would break).
 * @example
 * ```ts
 * const critic = createBandCritic(resolveBandSynthesisConfig());
 * const [score, ...activations] = critic.predict(band) as tf.Tensor[];
 * ```
 */
export function createBandCritic(config: BandSynthesisConfig): tfl.LayersModel {
  const band = tfl.input({ shape: [null, null, 1], name: 'band' });
  let features = leaky('c_encoder_act').apply(
    convolution('c_encoder_conv', config.channels, 3, config.seed + 10).apply(band),
  ) as Symbolic;
  const activations: Symbolic[] = [];
  for (let index = 0; index < config.criticBlocks; index++) {
    features = new ResidualConvBlock({ name: `c_rcb${index}`, seed: config.seed + 300 + index }).apply(
      features,
    ) as Symbolic;
    activations.push(features);
  }
  let reduced = features;
  for (let index = 0; index < 2; index++) {
    const conv = convolution(`c_down_conv${index}`, config.channels, 3, config.seed + 20 + index, 2);
    reduced = leaky(`c_down_act${index}`).apply(conv.apply(reduced)) as Symbolic;
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'c_pool' }).apply(reduced) as Symbolic;
  const score = tfl.layers
    // No bias: it cancels in E[D(y)] - E[D(x^)] and in every other term, so it would never be trained.
    .dense({
      name: 'c_score',
      units: 1,
      useBias: false,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed + 30 }),
    })
    .apply(pooled) as Symbolic;
  return tfl.model({ name: 's2a_critic', inputs: band, outputs: [score, ...activations] });
}

/**
 * The critic's spatial attention `A_S(x) = N(sum_i N(sum_c |a_ic(x)|))`, through SiRAN's `attentionMaps` and
 * `combinedAttention`.
 *
 * @param critic - A model from {@link createBandCritic}.
 * @param band - Normalised band `[batch, height, width, 1]`; not disposed.
 * @param training - Passed to the critic's `apply`.
 * @returns The map `[batch, height, width, 1]`, each sample in [0, 1]; the caller disposes it.
 * @example
 * ```ts
 * const attention = criticAttention(critic, upsampledBand);
 * ```
 */
export function criticAttention(critic: tfl.LayersModel, band: tf.Tensor4D, training = false): tf.Tensor4D {
  return tf.tidy(() => {
    const [, ...activations] = critic.apply(band, { training }) as tf.Tensor4D[];
    return attentionFromActivations(activations);
  });
}

/**
 * `A_S` from critic activations already computed: `combinedAttention(attentionMaps(activations))` of
 * `@siran/dmrb-layers` (the implementation SiRAN's discriminator uses).
 *
 * @param activations - The critic's outputs after the score, each `[batch, height, width, channels]`; not disposed.
 * @returns The map `[batch, height, width, 1]` in [0, 1]; the caller disposes it.
 * @example
 * ```ts
 * const [score, ...activations] = critic.apply(band) as tf.Tensor4D[];
 * const attention = attentionFromActivations(activations);
 * ```
 */
export function attentionFromActivations(activations: readonly tf.Tensor4D[]): tf.Tensor4D {
  return tf.tidy(() => {
    const maps = attentionMaps(activations);
    return combinedAttention(maps);
  });
}
