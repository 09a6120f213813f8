import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { buildDmrbWeights, type DmrbOptions, dmrb, resolveDmrbOptions } from './dmrb.js';
import { type BaseLayerArguments, WeightedBlockLayer } from './internal/weighted-layer.js';
import type { InitializationSettings } from './internal/weights.js';

/** Constructor arguments of {@link Dmrb}: the base layer arguments plus {@link DmrbOptions}. */
export interface DmrbLayerArguments extends BaseLayerArguments, DmrbOptions {}

/**
 * Densely connected multi-residual block as a serialisable tfjs-layers layer.
 *
 * @remarks Input and output `[batch, height, width, channels]`; `channels` is taken from the input
 *   shape when the layer is built. Works on SymbolicTensors (`tf.model`, `tf.sequential`) and on
 *   concrete tensors (`layer.apply(x)`, the caller disposes the result). Registered for
 *   serialisation under the class name `Dmrb` (and `Siran>Dmrb`). Spectrally normalised vectors are updated only in training calls.
 * @example
 * ```ts
 * const input = tf.input({ shape: [64, 64, 32] });
 * const output = new Dmrb({ blockCount: 3, seed: 1 }).apply(input) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: output });
 * ```
 */
export class Dmrb extends WeightedBlockLayer {
  /** Name under which the class is registered for serialisation. */
  static readonly className = 'Dmrb';
  /** The resolved options. */
  readonly options: Required<DmrbOptions>;
  private channels = 0;

  /**
   * @param args - Layer name, input shape and DMRB options.
   * @throws RangeError if an option is out of range.
   */
  constructor(args: DmrbLayerArguments = {}) {
    super(args);
    this.options = resolveDmrbOptions('Dmrb', args);
  }

  /** Creates the weights for the input's channel count. */
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    this.channels = this.channelsOf(inputShape);
    buildDmrbWeights(this.createVariable, this.channels, this.options);
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
      const weights = buildDmrbWeights(this.readVariable, this.channels, this.options);
      return dmrb(x, weights, { ...this.options, training: kwargs?.training === true });
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
serialization.registerClass(Dmrb, 'Siran');
