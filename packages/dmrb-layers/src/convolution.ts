import * as tf from '@tensorflow/tfjs-core';
import type { WeightFactory } from './internal/weights.js';
import { spectralNormalizeKernel } from './spectral-normalization.js';

/**
 * The weights of one convolution.
 *
 * @typeParam T - `tf.Tensor` when running, `tf.Variable` or a layer variable when storing.
 */
export interface ConvolutionWeights<T = tf.Tensor> {
  /** Kernel, `[kernelSize, kernelSize, inputChannels, outputChannels]`. */
  readonly kernel: T;
  /** Bias, `[outputChannels]`; absent when the convolution has none. */
  readonly bias?: T;
  /** Spectral normalisation vector, `[1, outputChannels]`; present only when spectrally normalised. */
  readonly spectralVector?: T;
}

/** How {@link convolve} runs. */
export interface ConvolutionRunOptions {
  /** Training refines (and, for variables, stores) the spectral vector; inference reuses it. */
  readonly training?: boolean;
  /** Power iterations per training call when the weights carry a spectral vector. */
  readonly powerIterations?: number;
  /** When set, a LeakyReLU with this negative slope follows the convolution (fused where possible). */
  readonly leakyReluAlpha?: number;
  /** Stride in both directions (default 1). */
  readonly strides?: number;
  /** Padding mode (default `'same'`). */
  readonly padding?: 'same' | 'valid';
}

/** Shape and features of one convolution, for {@link buildConvolutionWeights}. */
export interface ConvolutionLayout {
  /** Side of the square kernel. */
  readonly kernelSize: number;
  /** Channels of the input. */
  readonly inputChannels: number;
  /** Channels of the output. */
  readonly outputChannels: number;
  /** Whether a bias is created. */
  readonly useBias: boolean;
  /** Whether a spectral-normalisation vector is created. */
  readonly spectralNormalization: boolean;
}

/**
 * Describes the weights of one convolution and asks `factory` for each of them.
 *
 * @param factory - Makes a value (variable or tensor) from a weight description.
 * @param name - Path-like prefix of the weight names, e.g. `block_0/conv_1`.
 * @param layout - Kernel size, channel counts, bias and spectral normalisation switches.
 * @returns The convolution's weights as produced by the factory.
 * @example
 * ```ts
 * // Plain tensors of the right shapes (zeros) instead of trainable variables:
 * const weights = buildConvolutionWeights((d) => tf.zeros([...d.shape]), 'conv', {
 *   kernelSize: 3, inputChannels: 4, outputChannels: 8, useBias: true, spectralNormalization: false,
 * });
 * ```
 */
export function buildConvolutionWeights<T>(
  factory: WeightFactory<T>,
  name: string,
  layout: ConvolutionLayout,
): ConvolutionWeights<T> {
  const { kernelSize, inputChannels, outputChannels } = layout;
  const kernel = factory({
    name: `${name}/kernel`,
    shape: [kernelSize, kernelSize, inputChannels, outputChannels],
    role: 'kernel',
    trainable: true,
  });
  const bias = layout.useBias
    ? factory({ name: `${name}/bias`, shape: [outputChannels], role: 'bias', trainable: true })
    : undefined;
  const spectralVector = layout.spectralNormalization
    ? factory({
        name: `${name}/spectral_vector`,
        shape: [1, outputChannels],
        role: 'spectral-vector',
        trainable: false,
      })
    : undefined;
  return { kernel, bias, spectralVector };
}

/**
 * A 2-D convolution ("same"-padded, stride 1 unless told) with optional bias, LeakyReLU and spectral normalisation.
 *
 * @param x - Input, `[batch, height, width, inputChannels]`.
 * @param weights - Kernel, optional bias and optional spectral vector.
 * @param options - Training switch and power iterations.
 * @returns Output, `[batch, outHeight, outWidth, outputChannels]`; the caller disposes it.
 * @remarks Runs as one fused kernel (`tf.fused.conv2d`: convolution, bias, activation); tfjs itself
 *   falls back to separate ops for the activation while gradients are recorded. In training with a
 *   spectral vector that is a `tf.Variable`, the refined vector is assigned to it (the stateful part
 *   of spectral normalisation).
 * @example
 * ```ts
 * const weights = { kernel: tf.randomNormal([3, 3, 4, 8]), bias: tf.zeros([8]) };
 * const y = convolve(tf.ones([1, 16, 16, 4]) as tf.Tensor4D, weights, { leakyReluAlpha: 0.2, strides: 2 });
 * ```
 */
export function convolve(
  x: tf.Tensor4D,
  weights: ConvolutionWeights,
  options: ConvolutionRunOptions = {},
): tf.Tensor4D {
  return tf.tidy(() => {
    let kernel = weights.kernel as tf.Tensor4D;
    if (weights.spectralVector !== undefined) {
      const training = options.training ?? false;
      const result = spectralNormalizeKernel(kernel, weights.spectralVector as tf.Tensor2D, {
        powerIterations: training ? (options.powerIterations ?? 1) : 0,
      });
      kernel = result.kernel;
      if (training && weights.spectralVector instanceof tf.Variable) {
        weights.spectralVector.assign(result.spectralVector);
      }
    }
    const alpha = options.leakyReluAlpha;
    return tf.fused.conv2d({
      x,
      filter: kernel,
      strides: options.strides ?? 1,
      pad: options.padding ?? 'same',
      bias: weights.bias,
      activation: alpha === undefined ? 'linear' : 'leakyrelu',
      leakyreluAlpha: alpha,
    });
  });
}
