import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { buildConvolutionWeights, convolve } from './convolution.js';
import { withDefaults } from './internal/options.js';
import { type BaseLayerArguments, WeightedBlockLayer } from './internal/weighted-layer.js';
import type { InitializationSettings, WeightFactory } from './internal/weights.js';

/** Options of {@link SpectralNormalizedConv2D}. */
export interface SpectralNormalizedConv2DOptions {
  /** Output channels. Required. */
  readonly filters?: number;
  /** Side of the square kernel. */
  readonly kernelSize?: number;
  /** Stride in both directions. */
  readonly strides?: number;
  /** Padding mode. */
  readonly padding?: 'same' | 'valid';
  /** Whether the convolution has a bias. */
  readonly useBias?: boolean;
  /** Negative slope of a LeakyReLU applied after the convolution; `null` for none (linear). */
  readonly leakyReluAlpha?: number | null;
  /** Power iterations per training call. */
  readonly powerIterations?: number;
  /** Multiplies the He-normal variance of the initial kernel. */
  readonly initializerScale?: number;
  /** Seed of the initial weights; `null` draws unseeded values. */
  readonly seed?: number | null;
}

/** Defaults for {@link SpectralNormalizedConv2DOptions} (`filters` has none and must be given). */
export const DEFAULT_SPECTRAL_NORMALIZED_CONV2D_OPTIONS: Required<SpectralNormalizedConv2DOptions> = {
  filters: 0,
  kernelSize: 3,
  strides: 1,
  padding: 'same',
  useBias: true,
  leakyReluAlpha: null,
  powerIterations: 1,
  initializerScale: 1,
  seed: null,
};

/** Constructor arguments of {@link SpectralNormalizedConv2D}. */
export interface SpectralNormalizedConv2DLayerArguments
  extends BaseLayerArguments,
    SpectralNormalizedConv2DOptions {}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`SpectralNormalizedConv2D: ${name} must be a positive integer, got ${value}`);
  }
}

/**
 * A 2-D convolution whose kernel is divided by its largest singular value (Miyato et al. 2018),
 * as a serialisable tfjs-layers layer, for Lipschitz-constrained discriminators.
 *
 * @remarks Input `[batch, height, width, inputChannels]`, output `[batch, outHeight, outWidth, filters]`.
 *   The singular-vector estimate is a non-trainable weight `spectral_vector` (`[1, filters]`), refined by
 *   `powerIterations` steps in each training call (`apply(x, { training: true })`, `model.fit`) and
 *   reused unchanged in inference, so saved models reproduce their outputs. For a dense layer, use a
 *   1x1 convolution on a `[batch, 1, 1, features]` tensor. Registered under the class name
 *   `SpectralNormalizedConv2D`.
 * @example
 * ```ts
 * const input = tf.input({ shape: [64, 64, 3] });
 * const features = new SpectralNormalizedConv2D({ filters: 64, strides: 2, leakyReluAlpha: 0.2 }).apply(input);
 * ```
 */
export class SpectralNormalizedConv2D extends WeightedBlockLayer {
  /** Name under which the class is registered for serialisation. */
  static readonly className = 'SpectralNormalizedConv2D';
  /** The resolved options. */
  readonly options: Required<SpectralNormalizedConv2DOptions>;
  private inputChannels = 0;

  /**
   * @param args - Layer name, input shape and convolution options; `filters` is required.
   * @throws RangeError if `filters`, `kernelSize`, `strides` or `powerIterations` is not a positive
   *   integer, or the padding or slope is invalid.
   */
  constructor(args: SpectralNormalizedConv2DLayerArguments) {
    super(args);
    const options = withDefaults(DEFAULT_SPECTRAL_NORMALIZED_CONV2D_OPTIONS, args);
    checkPositiveInteger('filters', options.filters);
    checkPositiveInteger('kernelSize', options.kernelSize);
    checkPositiveInteger('strides', options.strides);
    checkPositiveInteger('powerIterations', options.powerIterations);
    if (options.padding !== 'same' && options.padding !== 'valid') {
      throw new RangeError(
        `SpectralNormalizedConv2D: padding must be 'same' or 'valid', got '${options.padding}'`,
      );
    }
    if (options.leakyReluAlpha !== null && !(options.leakyReluAlpha >= 0)) {
      throw new RangeError(
        `SpectralNormalizedConv2D: leakyReluAlpha must be >= 0 or null, got ${options.leakyReluAlpha}`,
      );
    }
    this.options = options;
  }

  /** Creates the kernel, bias and spectral vector for the input's channel count. */
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    this.inputChannels = this.channelsOf(inputShape);
    this.describe(this.createVariable);
    this.built = true;
  }

  /** The convolution's output shape. */
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const { kernelSize, strides, padding, filters } = this.options;
    const size = (length: number | null) =>
      length === null ? null : Math.ceil((padding === 'same' ? length : length - kernelSize + 1) / strides);
    return [shape[0], size(shape[1]), size(shape[2]), filters];
  }

  /** Runs the convolution; `kwargs.training` refines the spectral vector. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = this.singleInput(inputs);
      const { strides, padding, leakyReluAlpha, powerIterations } = this.options;
      return convolve(x, this.describe(this.readVariable), {
        training: kwargs?.training === true,
        powerIterations,
        strides,
        padding,
        leakyReluAlpha: leakyReluAlpha ?? undefined,
      });
    });
  }

  /** The options plus the base layer configuration. */
  override getConfig(): serialization.ConfigDict {
    return { ...this.options, ...super.getConfig() };
  }

  protected initializationSettings(): InitializationSettings {
    return { seed: this.options.seed, initializerScale: this.options.initializerScale };
  }

  private describe<T>(factory: WeightFactory<T>) {
    return buildConvolutionWeights(factory, 'conv', {
      kernelSize: this.options.kernelSize,
      inputChannels: this.inputChannels,
      outputChannels: this.options.filters,
      useBias: this.options.useBias,
      spectralNormalization: true,
    });
  }
}
serialization.registerClass(SpectralNormalizedConv2D, 'Siran');
