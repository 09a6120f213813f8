import * as tf from '@tensorflow/tfjs-core';

/** Transposes the last two axes. */
export function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const permutation = x.shape.map((_, i) => i);
  permutation[x.rank - 2] = x.rank - 1;
  permutation[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, permutation);
}

/** `[rows, n]` times `[n, columns]` on the last axis of `x`: a 1x1 convolution written as matMul. */
export function projectChannels(x: tf.Tensor, kernel: tf.Tensor2D): tf.Tensor {
  const channels = x.shape[x.rank - 1];
  const flat = tf.reshape(x, [-1, channels]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(flat, kernel), [...x.shape.slice(0, -1), kernel.shape[1]]);
}
