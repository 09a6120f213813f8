import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { type BaseLayerArguments, WeightedBlockLayer } from './internal/weighted-layer.js';
import type { InitializationSettings } from './internal/weights.js';
import {
  buildPolarizedSelfAttentionWeights,
  type PolarizedSelfAttentionOptions,
  polarizedSelfAttention,
  resolvePolarizedSelfAttentionOptions,
} from './polarized-self-attention.js';

/** Constructor arguments of {@link PolarizedSelfAttention}: the base layer arguments plus {@link PolarizedSelfAttentionOptions}. */
export interface PolarizedSelfAttentionLayerArguments
  extends BaseLayerArguments,
    PolarizedSelfAttentionOptions {}

/**
 * Polarized Self-Attention (parallel or sequential layout) as a serialisable tfjs-layers layer.
 *
 * @remarks Input and output `[batch, height, width, channels]`; `channels` is taken from the input
 *   shape when the layer is built. Works on SymbolicTensors (`tf.model`, `tf.sequential`) and on
 *   concrete tensors (`layer.apply(x)`, the caller disposes the result). Registered for
 *   serialisation under the class name `PolarizedSelfAttention` (and `Siran>PolarizedSelfAttention`).
 * @example
 * ```ts
 * const input = tf.input({ shape: [64, 64, 32] });
 * const output = new PolarizedSelfAttention({ layout: 'sequential', seed: 1 }).apply(input) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: output });
 * ```
 */
export class PolarizedSelfAttention extends WeightedBlockLayer {
  /** Name under which the class is registered for serialisation. */
  static readonly className = 'PolarizedSelfAttention';
  /** The resolved options. */
  readonly options: Required<PolarizedSelfAttentionOptions>;
  private channels = 0;

  /**
   * @param args - Layer name, input shape and PSA options.
   * @throws RangeError if an option is out of range.
   */
  constructor(args: PolarizedSelfAttentionLayerArguments = {}) {
    super(args);
    this.options = resolvePolarizedSelfAttentionOptions('PolarizedSelfAttention', args);
  }

  /** Creates the weights for the input's channel count. */
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    this.channels = this.channelsOf(inputShape);
    buildPolarizedSelfAttentionWeights(this.createVariable, this.channels, this.options);
    this.built = true;
  }

  /** Same shape as the input. */
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]) {
    return inputShape;
  }

  /** Runs the block on a concrete tensor. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = this.singleInput(inputs);
      const weights = buildPolarizedSelfAttentionWeights(this.readVariable, this.channels, this.options);
      return polarizedSelfAttention(x, weights, this.options);
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
serialization.registerClass(PolarizedSelfAttention, 'Siran');
