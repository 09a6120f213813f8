import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpectralNormalizedConv2D } from './spectral-normalized-conv2d.js';
import {
  conv2dSame,
  largestSingularValue,
  map,
  relativeError,
  toArray4,
  toVector,
} from './testing/float64-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('SpectralNormalizedConv2D', () => {
  it('has the hand-counted weights and the output shape of the strided convolution', () => {
    const layer = new SpectralNormalizedConv2D({ filters: 16, strides: 2, padding: 'valid' });
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [17, 17, 8] }), layer] });
    // (17 - 3 + 1) / 2 rounded up = 8. Kernel 9*8*16 = 1152, bias 16, spectral vector 16 (non-trainable).
    expect(model.outputs[0].shape).toEqual([null, 8, 8, 16]);
    expect(layer.countParams()).toBe(1152 + 16 + 16);
    expect(layer.nonTrainableWeights.map((w) => w.shape)).toEqual([[1, 16]]);
    const x = tf.ones([1, 17, 17, 8]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 8, 8, 16]);
    tf.dispose([x, y]);
  });

  it('converges, in training, to the convolution with the kernel divided by its exact largest singular value', () => {
    const layer = new SpectralNormalizedConv2D({ filters: 5, seed: 3, leakyReluAlpha: 0.1 });
    const x = tf.randomNormal([1, 6, 7, 4], 0, 1, 'float32', 2);
    for (let step = 0; step < 100; step++) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const [kernel, bias] = layer.trainableWeights.map((w) => w.read());
    const array = toArray4(kernel);
    const sigma = largestSingularValue(array.data, 36, 5);
    const expected = map(
      conv2dSame(
        toArray4(x),
        map(array, (v) => v / sigma),
        toVector(bias),
      ),
      (v) => (v >= 0 ? v : 0.1 * v),
    );
    const y = layer.apply(x) as tf.Tensor;
    expect(relativeError(y, expected)).toBeLessThan(1e-4);
    tf.dispose([x, y]);
  });

  it('trains its kernel and bias, and saves and loads exactly', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const output = new SpectralNormalizedConv2D({ filters: 4, seed: 1 }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 4);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads, value } = tf.variableGrads(
      () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      variables,
    );
    for (const variable of variables)
      expect(tf.max(tf.abs(grads[variable.name])).dataSync()[0]).toBeGreaterThan(0);
    const expected = model.predict(x) as tf.Tensor;
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const actual = loaded.predict(x) as tf.Tensor;
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, value, expected, actual, ...Object.values(grads)]);
  });

  it('refines its spectral vector during model.fit and not during predict', async () => {
    const layer = new SpectralNormalizedConv2D({ filters: 3, seed: 5 });
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [6, 6, 2] }), layer] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 1);
    const y = tf.zeros([2, 6, 6, 3]);
    const vector = () => Array.from(layer.nonTrainableWeights[0].read().dataSync());
    const initial = vector();
    tf.dispose(model.predict(x) as tf.Tensor);
    expect(vector()).toEqual(initial);
    await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
    expect(vector()).not.toEqual(initial);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('rejects missing filters and bad padding with named RangeErrors', () => {
    expect(() => new SpectralNormalizedConv2D({})).toThrow(/^SpectralNormalizedConv2D: filters/);
    expect(() => new SpectralNormalizedConv2D({ filters: 2, padding: 'full' as never })).toThrow(RangeError);
  });
});
