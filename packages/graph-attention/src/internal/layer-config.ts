import type * as tf from '@tensorflow/tfjs-core';
import type { WindowSize } from '../window-partition.js';

/**
 * The options of a layer without their `undefined` entries, so that defaults are not overwritten.
 *
 * @param options - Options as given.
 * @returns The defined entries.
 */
export function definedOptions<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The serialisable part of a windowed layer's options: the window size as a number or a fresh pair, and the seed
 * only when one was given.
 *
 * @param options - The layer's resolved options.
 * @returns A configuration dictionary to merge with the base layer configuration.
 */
export function windowedLayerConfig(options: {
  readonly seed?: number;
  readonly windowSize: WindowSize;
}): tf.serialization.ConfigDict {
  const { seed, windowSize, ...rest } = options;
  const config: tf.serialization.ConfigDict = {
    ...(rest as tf.serialization.ConfigDict),
    windowSize: typeof windowSize === 'number' ? windowSize : [...windowSize],
  };
  if (seed !== undefined) config.seed = seed;
  return config;
}
