import * as tf from '@tensorflow/tfjs-core';
import { buildConvolutionWeights, type ConvolutionWeights, convolve } from './convolution.js';
import { assertChannels, withDefaults } from './internal/options.js';
import { type InitializationSettings, variableFactory, type WeightFactory } from './internal/weights.js';
import {
  type BlockRunOptions,
  buildResidualConvBlockWeights,
  DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS,
  type ResidualConvBlockOptions,
  type ResidualConvBlockWeights,
  residualConvBlock,
  resolveResidualConvBlockOptions,
} from './residual-conv-block.js';

/** How a DMRB merges its RCB outputs before the block residual. */
export type DmrbFusion = 'convolution' | 'last';

/** Options of a densely connected multi-residual block (DMRB). */
export interface DmrbOptions extends ResidualConvBlockOptions {
  /** Number of residual convolution blocks inside the DMRB. */
  readonly blockCount?: number;
  /**
   * `'convolution'`: a 1x1 convolution fuses the block input and every RCB output (local feature fusion);
   * `'last'`: the last RCB output is used as is.
   */
  readonly fusion?: DmrbFusion;
  /** Scale of the fused features before they are added to the block input. */
  readonly residualScale?: number;
}

/** Defaults for {@link DmrbOptions}: three RCBs, 1x1 fusion, residual scale 0.2. */
export const DEFAULT_DMRB_OPTIONS: Required<DmrbOptions> = {
  ...DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS,
  blockCount: 3,
  fusion: 'convolution',
  residualScale: 0.2,
};

/**
 * The weights of one DMRB.
 *
 * @typeParam T - `tf.Tensor` when running, `tf.Variable` or a layer variable when storing.
 */
export interface DmrbWeights<T = tf.Tensor> {
  /** The RCBs, in order. */
  readonly blocks: readonly ResidualConvBlockWeights<T>[];
  /** 1x1 reductions before RCB `i >= 1`: `(i + 1) * channels -> channels`; `transitions[i - 1]`. */
  readonly transitions: readonly ConvolutionWeights<T>[];
  /** 1x1 fusion `(blockCount + 1) * channels -> channels`; absent with `fusion: 'last'`. */
  readonly fusion?: ConvolutionWeights<T>;
}

/**
 * Fills and checks DMRB options.
 *
 * @param caller - Name used at the start of error messages.
 * @param options - Partial options.
 * @returns The options with defaults applied.
 * @throws RangeError for a bad block count, fusion mode or any RCB option.
 */
export function resolveDmrbOptions(caller: string, options: DmrbOptions = {}): Required<DmrbOptions> {
  const resolved = withDefaults(DEFAULT_DMRB_OPTIONS, {
    ...options,
    ...resolveResidualConvBlockOptions(caller, options),
  });
  if (!Number.isInteger(resolved.blockCount) || resolved.blockCount < 1) {
    throw new RangeError(`${caller}: blockCount must be a positive integer, got ${resolved.blockCount}`);
  }
  if (resolved.fusion !== 'convolution' && resolved.fusion !== 'last') {
    throw new RangeError(`${caller}: fusion must be 'convolution' or 'last', got '${resolved.fusion}'`);
  }
  if (!Number.isFinite(resolved.residualScale)) {
    throw new RangeError(`${caller}: residualScale must be a finite number, got ${resolved.residualScale}`);
  }
  return resolved;
}

/**
 * Describes the weights of one DMRB and asks `factory` for each.
 *
 * @param factory - Makes a value from a weight description.
 * @param channels - Input and output channels.
 * @param options - Resolved DMRB options.
 * @returns The DMRB's weights as produced by the factory.
 * @example
 * ```ts
 * const shapes: number[][] = [];
 * buildDmrbWeights((d) => shapes.push([...d.shape]), 64, DEFAULT_DMRB_OPTIONS);
 * ```
 */
export function buildDmrbWeights<T>(
  factory: WeightFactory<T>,
  channels: number,
  options: Required<DmrbOptions>,
): DmrbWeights<T> {
  const pointwise = {
    kernelSize: 1,
    useBias: options.useBias,
    spectralNormalization: options.spectralNormalization,
  };
  const blocks: ResidualConvBlockWeights<T>[] = [];
  const transitions: ConvolutionWeights<T>[] = [];
  for (let index = 0; index < options.blockCount; index++) {
    if (index > 0) {
      const layout = { ...pointwise, inputChannels: (index + 1) * channels, outputChannels: channels };
      transitions.push(buildConvolutionWeights(factory, `transition_${index}`, layout));
    }
    blocks.push(buildResidualConvBlockWeights(factory, `block_${index}`, channels, options));
  }
  const fusion =
    options.fusion === 'convolution'
      ? buildConvolutionWeights(factory, 'fusion', {
          ...pointwise,
          inputChannels: (options.blockCount + 1) * channels,
          outputChannels: channels,
        })
      : undefined;
  return { blocks, transitions, fusion };
}

/**
 * Creates fresh trainable variables for a DMRB.
 *
 * @param channels - Input (and output) channels.
 * @param options - DMRB options; `seed` makes the draw reproducible.
 * @returns The weights as `tf.Variable`s; the caller disposes them.
 * @throws RangeError if `channels` is not a positive integer or an option is out of range.
 * @example
 * ```ts
 * const weights = createDmrbWeights(8, { blockCount: 2, seed: 7 });
 * const y = dmrb(tf.zeros([1, 16, 16, 8]) as tf.Tensor4D, weights, { residualScale: 0.2 });
 * ```
 */
export function createDmrbWeights(channels: number, options: DmrbOptions = {}): DmrbWeights<tf.Variable> {
  assertChannels('createDmrbWeights', channels);
  const resolved = resolveDmrbOptions('createDmrbWeights', options);
  const settings: InitializationSettings = {
    seed: resolved.seed,
    initializerScale: resolved.initializerScale,
  };
  return buildDmrbWeights(variableFactory(settings), channels, resolved);
}

/**
 * Densely connected multi-residual block.
 *
 * @param x - Input, `[batch, height, width, channels]`.
 * @param weights - Weights from {@link createDmrbWeights} (or a layer).
 * @param options - `residualScale`, `leakyReluAlpha`, `powerIterations`, `training`; the structure
 *   (block count, fusion, biases, spectral normalisation) is read from `weights`.
 * @returns Output, `[batch, height, width, channels]`; the caller disposes it.
 * @throws RangeError if the input channels do not match the weights.
 * @remarks RCB `i` receives `x` for `i = 0`, else a 1x1 reduction of `concat(x, r_0, ..., r_{i-1})`.
 *   The output is `x + residualScale * f`, with `f` the 1x1 fusion of `concat(x, r_0, ..., r_{n-1})`
 *   (or `r_{n-1}` without a fusion convolution).
 * @example
 * ```ts
 * const weights = createDmrbWeights(8, { seed: 7 });
 * const y = dmrb(tf.ones([2, 16, 16, 8]) as tf.Tensor4D, weights);
 * ```
 */
export function dmrb(
  x: tf.Tensor4D,
  weights: DmrbWeights,
  options: DmrbOptions & BlockRunOptions = {},
): tf.Tensor4D {
  const channels = weights.blocks[0].second.kernel.shape[3];
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new RangeError(`dmrb: expected input [batch, height, width, ${channels}], got [${x.shape}]`);
  }
  const residualScale = options.residualScale ?? DEFAULT_DMRB_OPTIONS.residualScale;
  const run = { training: options.training, powerIterations: options.powerIterations };
  return tf.tidy(() => {
    const features: tf.Tensor4D[] = [x];
    weights.blocks.forEach((block, index) => {
      const input = index === 0 ? x : convolve(tf.concat(features, 3), weights.transitions[index - 1], run);
      features.push(residualConvBlock(input, block, { ...options, ...run }));
    });
    const fused =
      weights.fusion === undefined
        ? features[features.length - 1]
        : convolve(tf.concat(features, 3), weights.fusion, run);
    return tf.add(x, tf.mul(fused, residualScale));
  });
}
