import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.js';

/** Shape of the reference layer: conv 3x3, 64 -> 64 channels, on `[4, 128, 128, 64]`. */
export const CONV2D_SHAPE = { batch: 4, size: 128, channels: 64, kernel: 3 } as const;

interface ConvContext {
  readonly x: tf.Tensor4D;
  readonly filter: tf.Tensor4D;
}

function setup(): ConvContext {
  const { batch, size, channels, kernel } = CONV2D_SHAPE;
  return {
    x: tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 1) as tf.Tensor4D,
    filter: tf.randomNormal([kernel, kernel, channels, channels], 0, 0.05, 'float32', 2) as tf.Tensor4D,
  };
}

function teardown(context: ConvContext): void {
  tf.dispose([context.x, context.filter]);
}

/**
 * Conv2d 3x3 64->64 on `[4,128,128,64]`, forward and forward+backward (gradients for input and filter), on
 * the active backend.
 *
 * @param backend - Name of the active backend, used in the case names.
 * @returns Two cases named `conv2d/forward/<backend>` and `conv2d/forward+backward/<backend>`.
 */
export function createCases(backend: string): BenchCase<ConvContext>[] {
  const params = { backend, shape: '4x128x128x64', kernel: '3x3' };
  const gradients = tf.grads((x: tf.Tensor, filter: tf.Tensor) =>
    tf.mean(tf.square(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'))),
  );
  return [
    {
      name: `conv2d/forward/${backend}`,
      params,
      setup,
      teardown,
      async run({ x, filter }) {
        const y = tf.conv2d(x, filter, 1, 'same');
        await y.data();
        y.dispose();
      },
    },
    {
      name: `conv2d/forward+backward/${backend}`,
      params,
      setup,
      teardown,
      skip: () =>
        backend === 'cpu'
          ? 'the plain-JS cpu backend needs about 10 minutes for one filter gradient at this size'
          : undefined,
      async run({ x, filter }) {
        const [dx, dfilter] = gradients([x, filter]);
        await Promise.all([dx.data(), dfilter.data()]);
        tf.dispose([dx, dfilter]);
      },
    },
  ];
}
