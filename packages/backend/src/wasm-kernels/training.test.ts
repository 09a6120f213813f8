import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './index.js';

/**
 * Autodiff and tfjs-layers training on wasm with the registered kernels, against the cpu backend.
 * (Importing tfjs-layers also registers tfjs-core's gradients, which the Node build of core does not.)
 */

const TOLERANCE = 1e-4;

type Values = { shape: number[]; values: Float32Array }[];

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

async function computeOn(backendName: string, compute: () => tf.Tensor[]): Promise<Values> {
  await tf.setBackend(backendName);
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = tf.engine().backend.numDataIds();
  const results = tf.tidy(compute);
  const values: Values = [];
  for (const result of results)
    values.push({ shape: result.shape, values: (await result.data()) as Float32Array });
  tf.dispose(results);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.engine().backend.numDataIds()).toBe(idsBefore);
  return values;
}

function expectClose(actual: Values, expected: Values): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((tensor, index) => {
    expect(tensor.shape).toEqual(expected[index].shape);
    let scale = 1e-6;
    let worst = 0;
    tensor.values.forEach((value, i) => {
      scale = Math.max(scale, Math.abs(expected[index].values[i]));
      worst = Math.max(worst, Math.abs(value - expected[index].values[i]));
    });
    expect(worst / scale).toBeLessThanOrEqual(TOLERANCE);
  });
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

const GRADIENT_CASES: { name: string; compute: () => tf.Tensor[] }[] = [
  {
    name: 'conv2d, stride 2, same padding',
    compute: () =>
      tf.grads((x: tf.Tensor, filter: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 2, 'same'))),
      )([seeded([2, 9, 8, 3], 1), seeded([3, 3, 3, 5], 2)]),
  },
  {
    name: 'fused conv2d with bias and relu, valid padding',
    compute: () =>
      tf.grads((x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
        tf.sum(
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: filter as tf.Tensor4D,
            bias,
            activation: 'relu',
            strides: 1,
            pad: 'valid',
          }),
        ),
      )([seeded([1, 7, 7, 4], 3), seeded([2, 2, 4, 3], 4), seeded([3], 5)]),
  },
  {
    name: 'conv2dTranspose, stride 2',
    compute: () =>
      tf.grads((x: tf.Tensor, filter: tf.Tensor) =>
        tf.sum(
          tf.square(tf.conv2dTranspose(x as tf.Tensor4D, filter as tf.Tensor4D, [2, 10, 10, 3], 2, 'same')),
        ),
      )([seeded([2, 5, 5, 4], 6), seeded([3, 3, 3, 4], 7)]),
  },
  {
    name: 'depthwiseConv2d, channel multiplier 2',
    compute: () =>
      tf.grads((x: tf.Tensor, filter: tf.Tensor) =>
        tf.sum(tf.square(tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'))),
      )([seeded([2, 8, 7, 3], 8), seeded([3, 3, 3, 2], 9)]),
  },
  {
    name: 'separableConv2d',
    compute: () =>
      tf.grads((x: tf.Tensor, depthwise: tf.Tensor, pointwise: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.separableConv2d(
              x as tf.Tensor4D,
              depthwise as tf.Tensor4D,
              pointwise as tf.Tensor4D,
              2,
              'valid',
            ),
          ),
        ),
      )([seeded([1, 9, 9, 2], 10), seeded([3, 3, 2, 2], 11), seeded([1, 1, 4, 3], 12)]),
  },
  {
    name: 'gather along axes 0 and 1',
    compute: () =>
      tf.grads((table: tf.Tensor) => {
        const rows = tf.gather(table, tf.tensor1d([3, 0, 3, 1], 'int32'), 0);
        const columns = tf.gather(table, tf.tensor1d([2, 2, 0], 'int32'), 1);
        return tf.add(tf.sum(tf.square(rows)), tf.sum(tf.mul(columns, 3)));
      })([seeded([5, 4], 13)]),
  },
];

describe('tf.grad on wasm', () => {
  it.each(GRADIENT_CASES.map((c) => [c.name, c] as const))(
    '%s matches cpu and leaves nothing behind',
    async (_, c) => {
      const actual = await computeOn('wasm', c.compute);
      expectClose(actual, await computeOn('cpu', c.compute));
    },
  );
});

async function trainSmallConvnet(backendName: string): Promise<{ losses: number[]; leaked: number }> {
  await tf.setBackend(backendName);
  const tensorsBefore = tf.memory().numTensors;
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 2],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'valid' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  // Identical starting weights on both backends, whatever the initialisers do.
  tf.tidy(() =>
    model.setWeights(
      model.getWeights().map((weight, index) => tf.mul(seeded(weight.shape, 100 + index), 0.3)),
    ),
  );
  const optimizer = tf.train.sgd(0.05);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const inputs = seeded([16, 8, 8, 2], 200);
  const targets = tf.mean(tf.reshape(inputs, [16, -1]), 1, true);
  const history = await model.fit(inputs, targets, { epochs: 6, batchSize: 8, shuffle: false, verbose: 0 });
  tf.dispose([inputs, targets]);
  model.dispose();
  optimizer.dispose();
  return { losses: history.history.loss as number[], leaked: tf.memory().numTensors - tensorsBefore };
}

describe('tfjs-layers fit on wasm', () => {
  it('trains a conv2d + depthwise + dense model like the cpu backend does', async () => {
    const { losses: wasmLosses, leaked } = await trainSmallConvnet('wasm');
    const { losses: cpuLosses, leaked: cpuLeaked } = await trainSmallConvnet('cpu');
    // tfjs-layers 4.22 itself keeps one tensor per fit on every backend; the kernels add none.
    expect(leaked).toBe(cpuLeaked);
    expect(leaked).toBeLessThanOrEqual(1);
    expect(wasmLosses[wasmLosses.length - 1]).toBeLessThan(wasmLosses[0]);
    wasmLosses.forEach((loss, epoch) => {
      expect(Math.abs(loss - cpuLosses[epoch]) / cpuLosses[epoch]).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});
