import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { type BaseLayerArguments, WeightedBlockLayer } from './internal/weighted-layer.js';
import type { InitializationSettings } from './internal/weights.js';
import {
  buildResidualConvBlockWeights,
  type ResidualConvBlockOptions,
  residualConvBlock,
  resolveResidualConvBlockOptions,
} from './residual-conv-block.js';

/** Constructor arguments of {@link ResidualConvBlock}: the base layer arguments plus {@link ResidualConvBlockOptions}. */
export interface ResidualConvBlockLayerArguments extends BaseLayerArguments, ResidualConvBlockOptions {}

/**
 * Residual convolution block (conv, LeakyReLU, conv, identity skip) as a serialisable tfjs-layers layer.
 *
 * @remarks Input and output `[batch, height, width, channels]`; `channels` is taken from the input
 *   shape when the layer is built. Works on SymbolicTensors (`tf.model`, `tf.sequential`) and on
 *   concrete tensors (`layer.apply(x)`, the caller disposes the result). Registered for
 *   serialisation under the class name `ResidualConvBlock` (and `Siran>ResidualConvBlock`). Spectrally normalised vectors are updated only in training calls.
 * @example
 * ```ts
 * const input = tf.input({ shape: [64, 64, 32] });
 * const output = new ResidualConvBlock({ seed: 1 }).apply(input) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: output });
 * ```
 */
export class ResidualConvBlock extends WeightedBlockLayer {
  /** Name under which the class is registered for serialisation. */
  static readonly className = 'ResidualConvBlock';
  /** The resolved options. */
  readonly options: Required<ResidualConvBlockOptions>;
  private channels = 0;

  /**
   * @param args - Layer name, input shape and RCB options.
   * @throws RangeError if an option is out of range.
   */
  constructor(args: ResidualConvBlockLayerArguments = {}) {
    super(args);
    this.options = resolveResidualConvBlockOptions('ResidualConvBlock', args);
  }

  /** Creates the weights for the input's channel count. */
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    this.channels = this.channelsOf(inputShape);
    buildResidualConvBlockWeights(this.createVariable, '', this.channels, this.options);
    this.built = true;
  }

  /** Same shape as the input. */
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]) {
    return inputShape;
  }

  /** Runs the block on a concrete tensor; `kwargs.training` refines spectral vectors. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = this.singleInput(inputs);
      const weights = buildResidualConvBlockWeights(this.readVariable, '', this.channels, this.options);
      return residualConvBlock(x, weights, { ...this.options, training: kwargs?.training === true });
    });
  }

  /** The options plus the base layer configuration. */
  override getConfig(): serialization.ConfigDict {
    return { ...this.options, ...super.getConfig() };
  }

  protected initializationSettings(): InitializationSettings {
    return { seed: this.options.seed, initializerScale: this.options.initializerScale };
  }
}
serialization.registerClass(ResidualConvBlock, 'Siran');
