import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { instanceNormalize } from './spade-layer.js';

/** Constructor arguments of {@link InstanceNormalization}. */
export interface InstanceNormalizationArguments {
  /** Layer name. */
  readonly name?: string;
  /** Added to the variance. */
  readonly epsilon?: number;
}

/**
 * Parameter-free instance normalisation as a serialisable layer (see {@link instanceNormalize}).
 *
 * @remarks Input and output `[batch, height, width, channels]`. Registered as `InstanceNormalization`.
 * @example
 * ```ts
 * const y = new InstanceNormalization().apply(tfl.input({ shape: [8, 8, 4] }));
 * ```
 */
export class InstanceNormalization extends layers.Layer {
  /** Name under which the class is registered. */
  static readonly className = 'InstanceNormalization';
  /** Added to the variance. */
  readonly epsilon: number;

  /**
   * Creates the layer.
   *
   * @param args - Layer name and epsilon (default 1e-5).
   */
  constructor(args: InstanceNormalizationArguments = {}) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? 1e-5;
  }

  /** Normalises each sample and channel over its pixels. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return instanceNormalize(x, this.epsilon);
  }

  /** Epsilon plus the base configuration. */
  override getConfig(): serialization.ConfigDict {
    return { epsilon: this.epsilon, ...super.getConfig() };
  }
}
serialization.registerClass(InstanceNormalization);

/** Constructor arguments of {@link NearestResize}. */
export interface NearestResizeArguments {
  /** Layer name. */
  readonly name?: string;
  /** Output height and width. */
  readonly size: readonly [number, number];
}

/**
 * Resizes `[batch, height, width, channels]` to a fixed size by nearest neighbour (for one-hot maps).
 *
 * @remarks Registered as `NearestResize`.
 * @example
 * ```ts
 * const small = new NearestResize({ size: [8, 8] }).apply(tfl.input({ shape: [64, 64, 5] }));
 * ```
 */
export class NearestResize extends layers.Layer {
  /** Name under which the class is registered. */
  static readonly className = 'NearestResize';
  /** Output height and width. */
  readonly size: readonly [number, number];

  /**
   * @param args - Layer name and output size.
   * @throws RangeError if a side is not a positive integer.
   */
  constructor(args: NearestResizeArguments) {
    super({ name: args.name });
    if (!args.size.every((side) => Number.isInteger(side) && side > 0))
      throw new RangeError(`NearestResize: size must be two positive integers, got [${args.size}]`);
    this.size = [args.size[0], args.size[1]];
  }

  /** `[batch, size[0], size[1], channels]`. */
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    return [shape[0], this.size[0], this.size[1], shape[3]];
  }

  /** Resizes by nearest neighbour. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.image.resizeNearestNeighbor(x, [this.size[0], this.size[1]]);
  }

  /** Size plus the base configuration. */
  override getConfig(): serialization.ConfigDict {
    return { size: [...this.size], ...super.getConfig() };
  }
}
serialization.registerClass(NearestResize);
