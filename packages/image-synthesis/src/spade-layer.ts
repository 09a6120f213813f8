import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import { initializers, type LayerVariable, layers } from '@tensorflow/tfjs-layers';

/** Options of {@link Spade}. */
export interface SpadeOptions {
  /** Channels of the shared convolution on the segmentation map. */
  readonly hiddenChannels?: number;
  /** Side of the square kernels of the three convolutions. */
  readonly kernelSize?: number;
  /** Added to the variance before the square root of the instance normalisation. */
  readonly epsilon?: number;
  /** Seed of the initial weights; `null` draws unseeded values. */
  readonly seed?: number | null;
}

/** Defaults of {@link SpadeOptions}. */
export const DEFAULT_SPADE_OPTIONS: Required<SpadeOptions> = {
  hiddenChannels: 32,
  kernelSize: 3,
  epsilon: 1e-5,
  seed: null,
};

/** Constructor arguments of {@link Spade}: base layer arguments plus {@link SpadeOptions}. */
export interface SpadeLayerArguments extends SpadeOptions {
  /** Layer name. */
  readonly name?: string;
  /** Whether the weights train. */
  readonly trainable?: boolean;
}

/**
 * Instance normalisation of `[batch, height, width, channels]` features: every sample and channel to zero
 * mean and unit variance over its pixels (biased variance), without parameters.
 *
 * @param x - Features, `[batch, height, width, channels]`.
 * @param epsilon - Added to the variance.
 * @returns The normalised features, same shape; the caller disposes them.
 */
export function instanceNormalize(x: tf.Tensor4D, epsilon = 1e-5): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))) as tf.Tensor4D;
  });
}

/**
 * Spatially-adaptive denormalisation (SPADE, Park et al. 2019) as a serialisable tfjs-layers layer.
 *
 * @remarks
 * Two inputs: features `[batch, height, width, channels]` and a one-hot (or soft) segmentation map
 * `[batch, mapHeight, mapWidth, classes]`. The map is resized to the features' resolution by nearest
 * neighbour, passed through a shared 3x3 convolution with ReLU (`hiddenChannels`), then two 3x3
 * convolutions give per-pixel `gamma` and `beta` (`channels` each). The output is
 * `instanceNormalize(x) * (1 + gamma) + beta`, shape of the features. The normalisation is parameter-free
 * instance normalisation (per sample and channel), so that training and inference behave alike and batches of
 * one work. Registered for serialisation as `Spade`.
 * @example
 * ```ts
 * const features = tfl.input({ shape: [16, 16, 8] });
 * const map = tfl.input({ shape: [64, 64, 5] });
 * const out = new Spade({ hiddenChannels: 16 }).apply([features, map]) as tfl.SymbolicTensor;
 * ```
 */
export class Spade extends layers.Layer {
  /** Name under which the class is registered. */
  static readonly className = 'Spade';
  /** The resolved options. */
  readonly options: Required<SpadeOptions>;
  private weightsByName: Record<string, LayerVariable> = {};

  /**
   * @param args - Layer name and {@link SpadeOptions}.
   * @throws RangeError if `hiddenChannels` or `kernelSize` is not a positive integer or `epsilon <= 0`.
   */
  constructor(args: SpadeLayerArguments = {}) {
    super({ name: args.name, trainable: args.trainable });
    const options: Required<SpadeOptions> = {
      hiddenChannels: args.hiddenChannels ?? DEFAULT_SPADE_OPTIONS.hiddenChannels,
      kernelSize: args.kernelSize ?? DEFAULT_SPADE_OPTIONS.kernelSize,
      epsilon: args.epsilon ?? DEFAULT_SPADE_OPTIONS.epsilon,
      seed: args.seed ?? DEFAULT_SPADE_OPTIONS.seed,
    };
    for (const key of ['hiddenChannels', 'kernelSize'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1)
        throw new RangeError(`Spade: ${key} must be a positive integer, got ${options[key]}`);
    }
    if (!(options.epsilon > 0)) throw new RangeError(`Spade: epsilon must be > 0, got ${options.epsilon}`);
    this.options = options;
  }

  /** Creates the shared, gamma and beta convolutions for the two input shapes. */
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    const [featureShape, mapShape] = this.shapes(inputShape);
    const channels = featureShape[3] as number;
    const classes = mapShape[3] as number;
    const { kernelSize: k, hiddenChannels: hidden, seed } = this.options;
    const kernel = (name: string, shape: number[], offset: number) =>
      this.addWeight(
        name,
        shape,
        'float32',
        initializers.glorotUniform({ seed: seed === null ? undefined : seed + offset }),
      );
    const zeros = (name: string, shape: number[]) =>
      this.addWeight(name, shape, 'float32', initializers.zeros());
    this.weightsByName = {
      sharedKernel: kernel('shared_kernel', [k, k, classes, hidden], 0),
      sharedBias: zeros('shared_bias', [hidden]),
      gammaKernel: kernel('gamma_kernel', [k, k, hidden, channels], 1),
      gammaBias: zeros('gamma_bias', [channels]),
      betaKernel: kernel('beta_kernel', [k, k, hidden, channels], 2),
      betaBias: zeros('beta_bias', [channels]),
    };
    this.built = true;
  }

  /** The features' shape. */
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    return this.shapes(inputShape)[0];
  }

  /** Normalises the features and modulates them with the map. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length !== 2 || list[0].rank !== 4 || list[1].rank !== 4) {
        throw new TypeError(
          `Spade: expected [features, segmentation map], both [batch, height, width, channels]; got ${list.length} input(s)`,
        );
      }
      const [x, map] = list as tf.Tensor4D[];
      const w = this.weightsByName;
      const resized =
        map.shape[1] === x.shape[1] && map.shape[2] === x.shape[2]
          ? map
          : tf.image.resizeNearestNeighbor(map, [x.shape[1], x.shape[2]]);
      const shared = tf.relu(
        tf.add(tf.conv2d(resized, w.sharedKernel.read() as tf.Tensor4D, 1, 'same'), w.sharedBias.read()),
      ) as tf.Tensor4D;
      const gamma = tf.add(
        tf.conv2d(shared, w.gammaKernel.read() as tf.Tensor4D, 1, 'same'),
        w.gammaBias.read(),
      );
      const beta = tf.add(
        tf.conv2d(shared, w.betaKernel.read() as tf.Tensor4D, 1, 'same'),
        w.betaBias.read(),
      );
      return tf.add(tf.mul(instanceNormalize(x, this.options.epsilon), tf.add(gamma, 1)), beta);
    });
  }

  /** The options plus the base configuration. */
  override getConfig(): serialization.ConfigDict {
    return { ...this.options, ...super.getConfig() };
  }

  private shapes(
    inputShape: (number | null)[] | (number | null)[][],
  ): [(number | null)[], (number | null)[]] {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 2) {
      throw new TypeError('Spade: expected two inputs, [features, segmentation map]');
    }
    const [featureShape, mapShape] = inputShape as (number | null)[][];
    if (
      featureShape.length !== 4 ||
      mapShape.length !== 4 ||
      featureShape[3] === null ||
      mapShape[3] === null
    ) {
      throw new TypeError(
        `Spade: expected two 4-D inputs with known channels, got [${featureShape}] and [${mapShape}]`,
      );
    }
    return [featureShape, mapShape];
  }
}
serialization.registerClass(Spade);
