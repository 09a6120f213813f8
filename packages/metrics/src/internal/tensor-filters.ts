import * as tf from '@tensorflow/tfjs-core';
import { gaussianWeights } from './gaussian-kernel.js';

/** Moves channels into the batch: `[batch, height, width, channels]` -> `[batch * channels, height, width, 1]`. */
export function foldChannels(images: tf.Tensor4D): tf.Tensor4D {
  const [batch, height, width, channels] = images.shape;
  if (channels === 1) return images;
  return tf.reshape(tf.transpose(images, [0, 3, 1, 2]), [batch * channels, height, width, 1]);
}

/**
 * Separable Gaussian filter with `valid` padding, as two `conv2d` calls (no depthwise convolution, whose
 * gradients some backends lack).
 *
 * @param images - `[n, height, width, 1]`.
 * @returns `[n, height - 2r, width - 2r, 1]` where `r` is the window radius.
 */
export function gaussianFilterValid(images: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const weights = Float32Array.from(gaussianWeights(sigma));
  const taps = weights.length;
  const vertical = tf.tensor4d(weights, [taps, 1, 1, 1]);
  const horizontal = tf.tensor4d(weights, [1, taps, 1, 1]);
  return tf.conv2d(tf.conv2d(images, vertical, 1, 'valid'), horizontal, 1, 'valid');
}
