import * as tf from '@tensorflow/tfjs-core';
import { buildConvolutionWeights, type ConvolutionWeights, convolve } from './convolution.js';
import { assertChannels, withDefaults } from './internal/options.js';
import { type InitializationSettings, variableFactory, type WeightFactory } from './internal/weights.js';

/** How the two PSA branches are combined (Liu et al. 2021). */
export type PolarizedSelfAttentionLayout = 'parallel' | 'sequential';

/** Options of a Polarized Self-Attention block. */
export interface PolarizedSelfAttentionOptions {
  /** `'parallel'`: channel and spatial outputs are summed; `'sequential'`: spatial after channel. */
  readonly layout?: PolarizedSelfAttentionLayout;
  /** Width of the value/query projections; `null` means `max(1, floor(channels / 2))`. */
  readonly reducedChannels?: number | null;
  /** Epsilon of the layer normalisation in the channel branch. */
  readonly layerNormEpsilon?: number;
  /** Whether the 1x1 projections have biases (never the channel query: softmax ignores it). */
  readonly useBias?: boolean;
  /** Multiplies the He-normal variance of the initial kernels. */
  readonly initializerScale?: number;
  /** Seed of the initial weights; `null` draws unseeded values. */
  readonly seed?: number | null;
}

/** Defaults for {@link PolarizedSelfAttentionOptions}. */
export const DEFAULT_POLARIZED_SELF_ATTENTION_OPTIONS: Required<PolarizedSelfAttentionOptions> = {
  layout: 'parallel',
  reducedChannels: null,
  layerNormEpsilon: 1e-5,
  useBias: true,
  initializerScale: 1,
  seed: null,
};

/**
 * The weights of a PSA block; `C` channels, `R` reduced channels.
 *
 * @typeParam T - `tf.Tensor` when running, `tf.Variable` or a layer variable when storing.
 */
export interface PolarizedSelfAttentionWeights<T = tf.Tensor> {
  /** Channel-branch query, 1x1 `C -> 1`, no bias. */
  readonly channelQuery: ConvolutionWeights<T>;
  /** Channel-branch value, 1x1 `C -> R`. */
  readonly channelValue: ConvolutionWeights<T>;
  /** Channel-branch expansion, 1x1 `R -> C`. */
  readonly channelUp: ConvolutionWeights<T>;
  /** Layer-normalisation scale, `[C]`. */
  readonly layerNormGamma: T;
  /** Layer-normalisation offset, `[C]`. */
  readonly layerNormBeta: T;
  /** Spatial-branch query, 1x1 `C -> R`. */
  readonly spatialQuery: ConvolutionWeights<T>;
  /** Spatial-branch value, 1x1 `C -> R`. */
  readonly spatialValue: ConvolutionWeights<T>;
}

/**
 * Fills and checks PSA options.
 *
 * @param caller - Name used at the start of error messages.
 * @param options - Partial options.
 * @returns The options with defaults applied.
 * @throws RangeError for an unknown layout, a bad reduced width or epsilon.
 */
export function resolvePolarizedSelfAttentionOptions(
  caller: string,
  options: PolarizedSelfAttentionOptions = {},
): Required<PolarizedSelfAttentionOptions> {
  const resolved = withDefaults(DEFAULT_POLARIZED_SELF_ATTENTION_OPTIONS, options);
  if (resolved.layout !== 'parallel' && resolved.layout !== 'sequential') {
    throw new RangeError(`${caller}: layout must be 'parallel' or 'sequential', got '${resolved.layout}'`);
  }
  const reduced = resolved.reducedChannels;
  if (reduced !== null && (!Number.isInteger(reduced) || reduced < 1)) {
    throw new RangeError(`${caller}: reducedChannels must be a positive integer or null, got ${reduced}`);
  }
  if (!(resolved.layerNormEpsilon > 0)) {
    throw new RangeError(`${caller}: layerNormEpsilon must be > 0, got ${resolved.layerNormEpsilon}`);
  }
  if (!(resolved.initializerScale > 0)) {
    throw new RangeError(`${caller}: initializerScale must be > 0, got ${resolved.initializerScale}`);
  }
  return resolved;
}

/**
 * Describes the weights of a PSA block and asks `factory` for each.
 *
 * @param factory - Makes a value from a weight description.
 * @param channels - Input (and output) channels `C`.
 * @param options - Resolved PSA options.
 * @returns The block's weights as produced by the factory.
 * @example
 * ```ts
 * const count = { value: 0 };
 * buildPolarizedSelfAttentionWeights((d) => (count.value += d.shape.reduce((a, b) => a * b, 1)), 8,
 *   DEFAULT_POLARIZED_SELF_ATTENTION_OPTIONS);
 * // count.value === 172
 * ```
 */
export function buildPolarizedSelfAttentionWeights<T>(
  factory: WeightFactory<T>,
  channels: number,
  options: Required<PolarizedSelfAttentionOptions>,
): PolarizedSelfAttentionWeights<T> {
  const reduced = options.reducedChannels ?? Math.max(1, Math.floor(channels / 2));
  const pointwise = (name: string, inputChannels: number, outputChannels: number, useBias: boolean) =>
    buildConvolutionWeights(factory, name, {
      kernelSize: 1,
      inputChannels,
      outputChannels,
      useBias,
      spectralNormalization: false,
    });
  return {
    channelQuery: pointwise('channel_query', channels, 1, false),
    channelValue: pointwise('channel_value', channels, reduced, options.useBias),
    channelUp: pointwise('channel_up', reduced, channels, options.useBias),
    layerNormGamma: factory({
      name: 'channel_norm/gamma',
      shape: [channels],
      role: 'gamma',
      trainable: true,
    }),
    layerNormBeta: factory({ name: 'channel_norm/beta', shape: [channels], role: 'beta', trainable: true }),
    spatialQuery: pointwise('spatial_query', channels, reduced, options.useBias),
    spatialValue: pointwise('spatial_value', channels, reduced, options.useBias),
  };
}

/**
 * Creates fresh trainable variables for a PSA block.
 *
 * @param channels - Input (and output) channels.
 * @param options - PSA options; `seed` makes the draw reproducible.
 * @returns The weights as `tf.Variable`s; the caller disposes them.
 * @throws RangeError if `channels` is not a positive integer or an option is out of range.
 * @example
 * ```ts
 * const weights = createPolarizedSelfAttentionWeights(6, { seed: 3 });
 * const y = polarizedSelfAttention(tf.ones([1, 32, 32, 6]) as tf.Tensor4D, weights);
 * ```
 */
export function createPolarizedSelfAttentionWeights(
  channels: number,
  options: PolarizedSelfAttentionOptions = {},
): PolarizedSelfAttentionWeights<tf.Variable> {
  assertChannels('createPolarizedSelfAttentionWeights', channels);
  const resolved = resolvePolarizedSelfAttentionOptions('createPolarizedSelfAttentionWeights', options);
  const settings: InitializationSettings = {
    seed: resolved.seed,
    initializerScale: resolved.initializerScale,
  };
  return buildPolarizedSelfAttentionWeights(variableFactory(settings), channels, resolved);
}

/**
 * Channel-branch attention weights `sigmoid(LayerNorm(W_up(v^T softmax_HW(W_q x))))`.
 *
 * @param x - Input, `[batch, height, width, channels]`.
 * @param weights - PSA weights.
 * @param layerNormEpsilon - Epsilon of the layer normalisation.
 * @returns Weights in (0, 1), `[batch, 1, 1, channels]`; the caller disposes them.
 * @example
 * ```ts
 * const weights = createPolarizedSelfAttentionWeights(8, { seed: 1 });
 * const channelWeights = polarizedChannelAttention(tf.ones([1, 16, 16, 8]) as tf.Tensor4D, weights);
 * ```
 */
export function polarizedChannelAttention(
  x: tf.Tensor4D,
  weights: PolarizedSelfAttentionWeights,
  layerNormEpsilon = DEFAULT_POLARIZED_SELF_ATTENTION_OPTIONS.layerNormEpsilon,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width] = x.shape;
    const query = tf.softmax(tf.reshape(convolve(x, weights.channelQuery), [batch, height * width]));
    const value = convolve(x, weights.channelValue);
    const reduced = value.shape[3];
    const pooled = tf.matMul(
      tf.reshape(value, [batch, height * width, reduced]),
      tf.reshape(query, [batch, height * width, 1]),
      true,
    );
    const up = convolve(tf.reshape(pooled, [batch, 1, 1, reduced]), weights.channelUp);
    const { mean, variance } = tf.moments(up, -1, true);
    const normalized = tf.div(tf.sub(up, mean), tf.sqrt(tf.add(variance, layerNormEpsilon)));
    return tf.sigmoid(
      tf.add(tf.mul(normalized, weights.layerNormGamma), weights.layerNormBeta),
    ) as tf.Tensor4D;
  });
}

/**
 * Spatial-branch attention weights `sigmoid(W_v(x) softmax_C(avgPool(W_q x)))`.
 *
 * @param x - Input, `[batch, height, width, channels]`.
 * @param weights - PSA weights.
 * @returns Weights in (0, 1), `[batch, height, width, 1]`; the caller disposes them.
 * @example
 * ```ts
 * const weights = createPolarizedSelfAttentionWeights(8, { seed: 1 });
 * const spatialWeights = polarizedSpatialAttention(tf.ones([1, 16, 16, 8]) as tf.Tensor4D, weights);
 * ```
 */
export function polarizedSpatialAttention(
  x: tf.Tensor4D,
  weights: PolarizedSelfAttentionWeights,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width] = x.shape;
    const query = tf.softmax(tf.mean(convolve(x, weights.spatialQuery), [1, 2]));
    const value = convolve(x, weights.spatialValue);
    const reduced = value.shape[3];
    const logits = tf.matMul(
      tf.reshape(value, [batch, height * width, reduced]),
      tf.reshape(query, [batch, reduced, 1]),
    );
    return tf.sigmoid(tf.reshape(logits, [batch, height, width, 1]));
  });
}

/**
 * Polarized Self-Attention (Liu et al. 2021), parallel or sequential layout.
 *
 * @param x - Input, `[batch, height, width, channels]`.
 * @param weights - Weights from {@link createPolarizedSelfAttentionWeights} (or a layer).
 * @param options - `layout` and `layerNormEpsilon` (the rest is read from the weights).
 * @returns Output, `[batch, height, width, channels]`; the caller disposes it.
 * @throws RangeError if the input channels do not match the weights.
 * @remarks Parallel: `A_ch(x) * x + A_sp(x) * x`. Sequential: `y = A_ch(x) * x`, output `A_sp(y) * y`.
 * @example
 * ```ts
 * const weights = createPolarizedSelfAttentionWeights(8, { seed: 3 });
 * const y = polarizedSelfAttention(tf.ones([1, 16, 16, 8]) as tf.Tensor4D, weights, { layout: 'sequential' });
 * ```
 */
export function polarizedSelfAttention(
  x: tf.Tensor4D,
  weights: PolarizedSelfAttentionWeights,
  options: PolarizedSelfAttentionOptions = {},
): tf.Tensor4D {
  const channels = weights.channelUp.kernel.shape[3];
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new RangeError(
      `polarizedSelfAttention: expected input [batch, height, width, ${channels}], got [${x.shape}]`,
    );
  }
  const { layout, layerNormEpsilon } = resolvePolarizedSelfAttentionOptions(
    'polarizedSelfAttention',
    options,
  );
  return tf.tidy(() => {
    const channelOutput = tf.mul(x, polarizedChannelAttention(x, weights, layerNormEpsilon)) as tf.Tensor4D;
    if (layout === 'sequential') {
      return tf.mul(channelOutput, polarizedSpatialAttention(channelOutput, weights)) as tf.Tensor4D;
    }
    return tf.add(channelOutput, tf.mul(x, polarizedSpatialAttention(x, weights))) as tf.Tensor4D;
  });
}
