import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createResidualConvBlockWeights,
  residualConvBlock,
  resolveResidualConvBlockOptions,
} from './residual-conv-block.js';
import { ResidualConvBlock } from './residual-conv-block-layer.js';
import {
  relativeError,
  residualConvBlockReference,
  toArray4,
  toVector,
} from './testing/float64-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('residualConvBlock', () => {
  it('matches a float64 loop implementation of x + conv(leakyRelu(conv(x)))', () => {
    const weights = createResidualConvBlockWeights(3, { hiddenChannels: 2, seed: 11 });
    // Non-zero biases so their broadcasting is checked too.
    weights.first.bias!.assign(tf.tensor1d([0.3, -0.2]));
    weights.second.bias!.assign(tf.tensor1d([0.1, 0.5, -0.4]));
    const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const y = residualConvBlock(x, weights, { leakyReluAlpha: 0.1 });
    const expected = residualConvBlockReference(
      toArray4(x),
      { kernel: toArray4(weights.first.kernel), bias: toVector(weights.first.bias) },
      { kernel: toArray4(weights.second.kernel), bias: toVector(weights.second.bias) },
      0.1,
    );
    expect(y.shape).toEqual([2, 5, 6, 3]);
    expect(relativeError(y, expected)).toBeLessThan(1e-5);
    tf.dispose([x, y, ...Object.values(weights.first), ...Object.values(weights.second)]);
  });

  it('leaves no tensors behind', () => {
    const weights = createResidualConvBlockWeights(4, { seed: 1 });
    const x = tf.ones([1, 8, 8, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = residualConvBlock(x, weights);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
  });

  it('rejects a wrong channel count and bad options with named RangeErrors', () => {
    const weights = createResidualConvBlockWeights(4, { seed: 1 });
    const x = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => residualConvBlock(x, weights)).toThrow(
      /^residualConvBlock: expected input \[batch, height, width, 4\]/,
    );
    expect(() => resolveResidualConvBlockOptions('ResidualConvBlock', { kernelSize: 4 })).toThrow(RangeError);
    expect(() => new ResidualConvBlock({ hiddenChannels: 0 })).toThrow(/^ResidualConvBlock: hiddenChannels/);
    expect(() => createResidualConvBlockWeights(0)).toThrow(/^createResidualConvBlockWeights: channels/);
    tf.dispose(x);
  });
});

describe('ResidualConvBlock layer', () => {
  it('has the hand-counted number of parameters', () => {
    const layer = new ResidualConvBlock({ hiddenChannels: 4 });
    tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [16, 16, 8] }), layer] });
    // conv 3x3 8->4: 9*8*4 + 4 = 292; conv 3x3 4->8: 9*4*8 + 8 = 296.
    expect(layer.countParams()).toBe(292 + 296);
    // The spectral vectors are non-trainable: [1, 4] and [1, 8].
    const spectral = new ResidualConvBlock({ spectralNormalization: true, useBias: false });
    spectral.build([null, 16, 16, 8]);
    expect(spectral.trainableWeights.map((w) => w.shape)).toEqual([
      [3, 3, 8, 8],
      [3, 3, 8, 8],
    ]);
    expect(spectral.nonTrainableWeights.map((w) => w.shape)).toEqual([
      [1, 8],
      [1, 8],
    ]);
  });

  it('computes the same as the functional form with the same seed', () => {
    const layer = new ResidualConvBlock({ seed: 5 });
    const weights = createResidualConvBlockWeights(8, { seed: 5 });
    const x = tf.randomNormal([1, 16, 16, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
    const fromLayer = layer.apply(x) as tf.Tensor;
    const fromFunction = residualConvBlock(x, weights);
    expect(tf.max(tf.abs(tf.sub(fromLayer, fromFunction))).dataSync()[0]).toBe(0);
    tf.dispose([
      x,
      fromLayer,
      fromFunction,
      ...Object.values(weights.first),
      ...Object.values(weights.second),
    ]);
  });
});
