import * as tf from '@tensorflow/tfjs-core';
import { buildConvolutionWeights, type ConvolutionWeights, convolve } from './convolution.js';
import { assertChannels, withDefaults } from './internal/options.js';
import { type InitializationSettings, variableFactory, type WeightFactory } from './internal/weights.js';

/** Options of a residual convolution block (RCB), shared by {@link Dmrb}. */
export interface ResidualConvBlockOptions {
  /** Channels between the two convolutions; `null` keeps the input channel count. */
  readonly hiddenChannels?: number | null;
  /** Side of the square convolution kernels (odd). */
  readonly kernelSize?: number;
  /** Slope of the LeakyReLU for negative inputs. */
  readonly leakyReluAlpha?: number;
  /** Whether the convolutions have biases. */
  readonly useBias?: boolean;
  /** Whether every kernel is spectrally normalised (for discriminators). */
  readonly spectralNormalization?: boolean;
  /** Power iterations per training call when spectrally normalised. */
  readonly powerIterations?: number;
  /** Multiplies the He-normal variance of the initial kernels. */
  readonly initializerScale?: number;
  /** Seed of the initial weights; `null` draws unseeded values. */
  readonly seed?: number | null;
}

/** Defaults for {@link ResidualConvBlockOptions}. */
export const DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS: Required<ResidualConvBlockOptions> = {
  hiddenChannels: null,
  kernelSize: 3,
  leakyReluAlpha: 0.2,
  useBias: true,
  spectralNormalization: false,
  powerIterations: 1,
  initializerScale: 1,
  seed: null,
};

/**
 * The weights of one residual convolution block.
 *
 * @typeParam T - `tf.Tensor` when running, `tf.Variable` or a layer variable when storing.
 */
export interface ResidualConvBlockWeights<T = tf.Tensor> {
  /** First convolution, `channels -> hiddenChannels`. */
  readonly first: ConvolutionWeights<T>;
  /** Second convolution, `hiddenChannels -> channels`. */
  readonly second: ConvolutionWeights<T>;
}

/** How a block runs: training refines spectral normalisation vectors. */
export interface BlockRunOptions {
  /** Training mode (only spectral normalisation behaves differently). */
  readonly training?: boolean;
}

/**
 * Fills and checks RCB options.
 *
 * @param caller - Name used at the start of error messages.
 * @param options - Partial options.
 * @returns The options with defaults applied.
 * @throws RangeError for a non-positive or even kernel size, negative alpha, or bad counts.
 */
export function resolveResidualConvBlockOptions(
  caller: string,
  options: ResidualConvBlockOptions = {},
): Required<ResidualConvBlockOptions> {
  const resolved = withDefaults(DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS, options);
  const { kernelSize, hiddenChannels, leakyReluAlpha, powerIterations, initializerScale } = resolved;
  if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0) {
    throw new RangeError(`${caller}: kernelSize must be a positive odd integer, got ${kernelSize}`);
  }
  if (hiddenChannels !== null && (!Number.isInteger(hiddenChannels) || hiddenChannels < 1)) {
    throw new RangeError(
      `${caller}: hiddenChannels must be a positive integer or null, got ${hiddenChannels}`,
    );
  }
  if (!(leakyReluAlpha >= 0)) {
    throw new RangeError(`${caller}: leakyReluAlpha must be >= 0, got ${leakyReluAlpha}`);
  }
  if (!Number.isInteger(powerIterations) || powerIterations < 1) {
    throw new RangeError(`${caller}: powerIterations must be a positive integer, got ${powerIterations}`);
  }
  if (!(initializerScale > 0)) {
    throw new RangeError(`${caller}: initializerScale must be > 0, got ${initializerScale}`);
  }
  return resolved;
}

/**
 * Describes the weights of one RCB and asks `factory` for each.
 *
 * @param factory - Makes a value from a weight description.
 * @param prefix - Path-like prefix of the weight names (empty for a top-level block).
 * @param channels - Input and output channels of the block.
 * @param options - Resolved block options.
 * @returns The block's weights as produced by the factory.
 * @example
 * ```ts
 * const options = { ...DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS, seed: 1 };
 * const names: string[] = [];
 * buildResidualConvBlockWeights((d) => names.push(d.name), 'rcb', 8, options);
 * // names: rcb/conv_1/kernel, rcb/conv_1/bias, rcb/conv_2/kernel, rcb/conv_2/bias
 * ```
 */
export function buildResidualConvBlockWeights<T>(
  factory: WeightFactory<T>,
  prefix: string,
  channels: number,
  options: Required<ResidualConvBlockOptions>,
): ResidualConvBlockWeights<T> {
  const hidden = options.hiddenChannels ?? channels;
  const common = {
    kernelSize: options.kernelSize,
    useBias: options.useBias,
    spectralNormalization: options.spectralNormalization,
  };
  const path = prefix === '' ? '' : `${prefix}/`;
  return {
    first: buildConvolutionWeights(factory, `${path}conv_1`, {
      ...common,
      inputChannels: channels,
      outputChannels: hidden,
    }),
    second: buildConvolutionWeights(factory, `${path}conv_2`, {
      ...common,
      inputChannels: hidden,
      outputChannels: channels,
    }),
  };
}

/**
 * Creates fresh trainable variables for a residual convolution block.
 *
 * @param channels - Input (and output) channels.
 * @param options - Block options; `seed` makes the draw reproducible.
 * @returns The weights as `tf.Variable`s; the caller disposes them.
 * @throws RangeError if `channels` is not a positive integer or an option is out of range.
 * @example
 * ```ts
 * const weights = createResidualConvBlockWeights(8, { seed: 1 });
 * const y = residualConvBlock(tf.zeros([1, 16, 16, 8]) as tf.Tensor4D, weights);
 * ```
 */
export function createResidualConvBlockWeights(
  channels: number,
  options: ResidualConvBlockOptions = {},
): ResidualConvBlockWeights<tf.Variable> {
  assertChannels('createResidualConvBlockWeights', channels);
  const resolved = resolveResidualConvBlockOptions('createResidualConvBlockWeights', options);
  const settings: InitializationSettings = {
    seed: resolved.seed,
    initializerScale: resolved.initializerScale,
  };
  return buildResidualConvBlockWeights(variableFactory(settings), '', channels, resolved);
}

/**
 * Residual convolution block: `x + conv(leakyRelu(conv(x)))`, both convolutions "same" padded.
 *
 * @param x - Input, `[batch, height, width, channels]`.
 * @param weights - The two convolutions' weights.
 * @param options - `leakyReluAlpha`, `powerIterations` and `training` (the rest is read from the weights).
 * @returns Output, `[batch, height, width, channels]`; the caller disposes it.
 * @throws RangeError if the input channels differ from the second convolution's output channels.
 * @example
 * ```ts
 * const weights = createResidualConvBlockWeights(8, { seed: 1 });
 * const y = residualConvBlock(tf.ones([1, 16, 16, 8]) as tf.Tensor4D, weights);
 * ```
 */
export function residualConvBlock(
  x: tf.Tensor4D,
  weights: ResidualConvBlockWeights,
  options: ResidualConvBlockOptions & BlockRunOptions = {},
): tf.Tensor4D {
  const outputChannels = weights.second.kernel.shape[3];
  if (x.rank !== 4 || x.shape[3] !== outputChannels) {
    throw new RangeError(
      `residualConvBlock: expected input [batch, height, width, ${outputChannels}], got [${x.shape}]`,
    );
  }
  const alpha = options.leakyReluAlpha ?? DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS.leakyReluAlpha;
  const run = { training: options.training, powerIterations: options.powerIterations };
  return tf.tidy(() => {
    const hidden = convolve(x, weights.first, { ...run, leakyReluAlpha: alpha });
    return tf.add(x, convolve(hidden, weights.second, run));
  });
}
