import * as tf from '@tensorflow/tfjs-core';
import { initializers } from '@tensorflow/tfjs-layers';

/** What a weight is for; decides how it is initialised. */
export type WeightRole = 'kernel' | 'bias' | 'gamma' | 'beta' | 'spectral-vector';

/** One weight of a block: its path-like name, shape, role and whether training updates it. */
export interface WeightDescription {
  /** Path-like name inside its block, e.g. `block_0/conv_1/kernel`. */
  readonly name: string;
  /** Shape of the weight. */
  readonly shape: readonly number[];
  /** What the weight is for. */
  readonly role: WeightRole;
  /** Whether optimisers update it (spectral vectors are not trainable). */
  readonly trainable: boolean;
}

/** Turns a weight description into a value: a fresh variable, a layer variable, or its current tensor. */
export type WeightFactory<T> = (description: WeightDescription) => T;

/** How fresh weights are drawn. */
export interface InitializationSettings {
  /** Seed for every random draw; `null` draws unseeded values. */
  readonly seed: number | null;
  /** Multiplies the He-normal variance of every kernel. */
  readonly initializerScale: number;
}

/**
 * A per-weight seed derived from the block seed and the weight name (FNV-1a of the name).
 * Different weights of the same shape thus get different values for one block seed.
 */
export function deriveSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let index = 0; index < name.length; index++) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 2147483647;
}

/**
 * The initial value of one weight: He-normal kernels (scaled), zero biases and betas,
 * unit gammas, and a random unit vector for spectral normalisation.
 * The caller disposes the result.
 */
export function initialWeightValue(
  description: WeightDescription,
  settings: InitializationSettings,
): tf.Tensor {
  const shape = [...description.shape];
  const seed = settings.seed === null ? undefined : deriveSeed(settings.seed, description.name);
  switch (description.role) {
    case 'kernel':
      return initializers
        .varianceScaling({
          scale: 2 * settings.initializerScale,
          mode: 'fanIn',
          distribution: 'normal',
          seed,
        })
        .apply(shape, 'float32');
    case 'bias':
    case 'beta':
      return tf.zeros(shape);
    case 'gamma':
      return tf.ones(shape);
    case 'spectral-vector':
      return tf.tidy(() => {
        const draw = tf.randomNormal(shape, 0, 1, 'float32', seed);
        return tf.div(draw, tf.maximum(tf.norm(draw), 1e-12));
      });
  }
}

/**
 * A factory that creates trainable (or not) `tf.Variable`s with their initial values.
 * Used by the functional `create*Weights` helpers.
 */
export function variableFactory(settings: InitializationSettings): WeightFactory<tf.Variable> {
  return (description) => {
    const value = initialWeightValue(description, settings);
    const variable = tf.variable(value, description.trainable);
    value.dispose();
    return variable;
  };
}
