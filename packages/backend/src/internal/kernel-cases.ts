import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels and gradients a convolutional GAN needs, as computations from seeded inputs: the parity tests of the GPU
 * and native lanes run each on their backend and on cpu.
 */
export interface KernelCase {
  readonly name: string;
  readonly compute: () => tf.Tensor[];
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

export const KERNEL_CASES: readonly KernelCase[] = [
  {
    name: 'conv2d forward and gradients (stride 2, same, dilation 1)',
    compute: () => {
      const x = seeded([2, 9, 9, 3], 1);
      const filter = seeded([3, 3, 3, 5], 2) as tf.Tensor4D;
      const f = (input: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')));
      return [tf.conv2d(x as tf.Tensor4D, filter, 2, 'same'), ...tf.grads(f)([x, filter])];
    },
  },
  {
    // tfjs-core has no conv2d gradient for dilations > 1 on any backend: dilation is checked forward only.
    name: 'conv2d forward (valid, dilation 2) and gradients (valid, 5x5)',
    compute: () => {
      const x = seeded([1, 10, 11, 4], 3) as tf.Tensor4D;
      const filter = seeded([5, 5, 4, 2], 4) as tf.Tensor4D;
      const f = (input: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'));
      return [tf.conv2d(x, filter, 1, 'valid', 'NHWC', 2), ...tf.grads(f)([x, filter])];
    },
  },
  {
    name: 'depthwise conv2d gradients (multiplier 2)',
    compute: () => {
      const x = seeded([2, 8, 8, 3], 5);
      const filter = seeded([3, 3, 3, 2], 6);
      const f = (input: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.square(tf.depthwiseConv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')));
      return tf.grads(f)([x, filter]);
    },
  },
  {
    name: 'gather gradient (unsorted segment sum)',
    compute: () => {
      const table = seeded([6, 4], 7);
      const indices = tf.tensor1d([0, 5, 2, 2, 0], 'int32');
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, indices))))(table)];
    },
  },
  {
    name: 'leakyRelu, avgPool, resizeBilinear and softmax gradients',
    compute: () => {
      const x = seeded([1, 8, 8, 2], 8);
      const f = (input: tf.Tensor) =>
        tf.sum(
          tf.softmax(
            tf.reshape(
              tf.image.resizeBilinear(
                tf.avgPool(tf.leakyRelu(input as tf.Tensor4D, 0.2), 2, 2, 'valid'),
                [8, 8],
              ),
              [1, -1],
            ),
          ),
        );
      return [tf.grad(f)(x)];
    },
  },
];
