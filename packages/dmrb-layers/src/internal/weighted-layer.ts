import type * as tf from '@tensorflow/tfjs-core';
import { type initializers, type LayerVariable, layers } from '@tensorflow/tfjs-layers';
import { type InitializationSettings, initialWeightValue, type WeightDescription } from './weights.js';

/** The base arguments every tfjs-layers layer accepts (name, trainable, input shape, dtype). */
export type BaseLayerArguments = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

type Initializer = ReturnType<typeof initializers.zeros>;

/**
 * A tfjs-layers layer whose weights are described by a weight-tree builder: `build` asks the
 * builder for layer variables, `call` asks the same builder for their current tensors.
 * All weights belong to this layer, so `getWeights`, `setWeights`, `trainableWeights` and
 * model save/load see every one of them, in a stable order with path-like names.
 */
export abstract class WeightedBlockLayer extends layers.Layer {
  private readonly variablesByName = new Map<string, LayerVariable>();

  /** Seed and initializer scale used for fresh weights. */
  protected abstract initializationSettings(): InitializationSettings;

  /** Adds one layer variable for `description` (to be passed as a weight factory). */
  protected readonly createVariable = (description: WeightDescription): LayerVariable => {
    const settings = this.initializationSettings();
    const initializer = {
      apply: () => initialWeightValue(description, settings),
    } as unknown as Initializer;
    const variable = this.addWeight(
      description.name,
      [...description.shape],
      'float32',
      initializer,
      undefined,
      description.trainable,
    );
    this.variablesByName.set(description.name, variable);
    return variable;
  };

  /** The current value of the variable made for `description` (to be passed as a weight factory). */
  protected readonly readVariable = (description: WeightDescription): tf.Tensor => {
    const variable = this.variablesByName.get(description.name);
    if (variable === undefined) {
      throw new RangeError(
        `${this.getClassName()}: weight '${description.name}' was not built; call build first`,
      );
    }
    return variable.read();
  };

  /**
   * The single 4-D input of a `call`.
   *
   * @param inputs - What tfjs-layers passes to `call`.
   * @returns The input tensor, `[batch, height, width, channels]`.
   * @throws TypeError unless exactly one 4-D tensor was given.
   */
  protected singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== 1 || list[0].rank !== 4) {
      throw new TypeError(
        `${this.getClassName()}: expected one input of shape [batch, height, width, channels], got ${list.length} input(s) of rank ${list.map((t) => t.rank)}`,
      );
    }
    return list[0] as tf.Tensor4D;
  }

  /**
   * The channel count of the input shape given to `build`.
   *
   * @param inputShape - Shape (or single-element list of shapes) from tfjs-layers.
   * @returns The last dimension.
   * @throws TypeError if the shape is not 4-D or its channel count is unknown.
   */
  protected channelsOf(inputShape: (number | null)[] | (number | null)[][]): number {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const channels = shape[shape.length - 1];
    if (shape.length !== 4 || channels === null || channels === undefined) {
      throw new TypeError(
        `${this.getClassName()}: expected input shape [batch, height, width, channels] with known channels, got [${shape}]`,
      );
    }
    return channels;
  }
}
