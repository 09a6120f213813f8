import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResidualConvBlock } from './residual-conv-block-layer.js';
import { spectralNormalizeKernel } from './spectral-normalization.js';
import {
  largestSingularValue,
  map,
  relativeError,
  residualConvBlockReference,
  toArray4,
  toVector,
} from './testing/float64-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('spectralNormalizeKernel', () => {
  it('converges to the largest singular value found by Jacobi rotations in float64', () => {
    const kernel = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 12) as tf.Tensor4D;
    const start = tf.randomNormal([1, 5], 0, 1, 'float32', 13) as tf.Tensor2D;
    const result = spectralNormalizeKernel(kernel, start, { powerIterations: 200 });
    const exact = largestSingularValue(Float64Array.from(kernel.dataSync()), 36, 5);
    expect(Math.abs(result.sigma.dataSync()[0] - exact) / exact).toBeLessThan(1e-4);
    const normalizedTop = largestSingularValue(Float64Array.from(result.kernel.dataSync()), 36, 5);
    expect(normalizedTop).toBeCloseTo(1, 4);
    expect(result.spectralVector.shape).toEqual([1, 5]);
    tf.dispose([kernel, start, result.kernel, result.sigma, result.spectralVector]);
  });

  it('finds sigma = 4 for diag(1, 4, 2) and leaves no tensors behind', () => {
    const kernel = tf.reshape(tf.tensor2d([1, 0, 0, 0, 4, 0, 0, 0, 2], [3, 3]), [1, 1, 3, 3]) as tf.Tensor4D;
    const start = tf.tensor2d([[1, 1, 1]]);
    const before = tf.memory().numTensors;
    const result = spectralNormalizeKernel(kernel, start, { powerIterations: 60 });
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(result.sigma.dataSync()[0]).toBeCloseTo(4, 5);
    expect(Array.from(result.kernel.dataSync())).toEqual(
      [0.25, 0, 0, 0, 1, 0, 0, 0, 0.5].map((v) => expect.closeTo(v, 5)),
    );
    tf.dispose([kernel, start, result.kernel, result.sigma, result.spectralVector]);
  });

  it('gives d sigma / d kernel = v u^T (unit Frobenius norm) with constant singular vectors', () => {
    const kernel = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    const start = tf.randomNormal([1, 4], 0, 1, 'float32', 4) as tf.Tensor2D;
    const gradient = tf.grad(
      (k: tf.Tensor) => spectralNormalizeKernel(k as tf.Tensor4D, start, { powerIterations: 3 }).sigma,
    )(kernel);
    expect(tf.norm(gradient).dataSync()[0]).toBeCloseTo(1, 5);
    tf.dispose([kernel, start, gradient]);
  });

  it('rejects a vector of the wrong length', () => {
    const kernel = tf.zeros([3, 3, 2, 4]) as tf.Tensor4D;
    const vector = tf.zeros([1, 3]) as tf.Tensor2D;
    expect(() => spectralNormalizeKernel(kernel, vector)).toThrow(
      /^spectralNormalizeKernel: spectral vector/,
    );
    tf.dispose([kernel, vector]);
  });
});

describe('spectral normalisation inside a layer', () => {
  it('refines its vectors only in training and then matches convolutions divided by the exact sigma', () => {
    const layer = new ResidualConvBlock({ seed: 2, spectralNormalization: true, leakyReluAlpha: 0.2 });
    const x = tf.randomNormal([1, 6, 6, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    tf.dispose(layer.apply(x) as tf.Tensor);
    const vectorBefore = Array.from(layer.nonTrainableWeights[0].read().dataSync());
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor);
    expect(Array.from(layer.nonTrainableWeights[0].read().dataSync())).toEqual(vectorBefore);
    for (let step = 0; step < 80; step++) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    expect(Array.from(layer.nonTrainableWeights[0].read().dataSync())).not.toEqual(vectorBefore);

    const [kernel1, bias1, kernel2, bias2] = layer.trainableWeights.map((w) => w.read());
    const normalized = (kernel: tf.Tensor) => {
      const array = toArray4(kernel);
      const outputs = kernel.shape[3] as number;
      const sigma = largestSingularValue(array.data, array.data.length / outputs, outputs);
      return map(array, (v) => v / sigma);
    };
    const expected = residualConvBlockReference(
      toArray4(x),
      { kernel: normalized(kernel1), bias: toVector(bias1) },
      { kernel: normalized(kernel2), bias: toVector(bias2) },
      0.2,
    );
    const y = layer.apply(x) as tf.Tensor;
    expect(relativeError(y, expected)).toBeLessThan(1e-4);
    tf.dispose([x, y]);
  });
});
