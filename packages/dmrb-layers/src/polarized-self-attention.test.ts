import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConvolutionWeights } from './convolution.js';
import {
  createPolarizedSelfAttentionWeights,
  type PolarizedSelfAttentionWeights,
  polarizedSelfAttention,
} from './polarized-self-attention.js';
import { PolarizedSelfAttention } from './polarized-self-attention-layer.js';
import {
  polarizedSelfAttentionReference,
  type ReferencePolarizedWeights,
  relativeError,
  toArray4,
  toVector,
} from './testing/float64-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function toReference(weights: PolarizedSelfAttentionWeights): ReferencePolarizedWeights {
  const convolution = (c: ConvolutionWeights) => ({ kernel: toArray4(c.kernel), bias: toVector(c.bias) });
  return {
    channelQuery: convolution(weights.channelQuery),
    channelValue: convolution(weights.channelValue),
    channelUp: convolution(weights.channelUp),
    gamma: toVector(weights.layerNormGamma)!,
    beta: toVector(weights.layerNormBeta)!,
    spatialQuery: convolution(weights.spatialQuery),
    spatialValue: convolution(weights.spatialValue),
  };
}

/** Replaces every variable with seeded random values so biases, gamma and beta are all non-trivial. */
function randomize(weights: PolarizedSelfAttentionWeights<tf.Variable>, seed: number): tf.Variable[] {
  const all = [
    ...Object.values(weights.channelQuery),
    ...Object.values(weights.channelValue),
    ...Object.values(weights.channelUp),
    weights.layerNormGamma,
    weights.layerNormBeta,
    ...Object.values(weights.spatialQuery),
    ...Object.values(weights.spatialValue),
  ].filter((v): v is tf.Variable => v !== undefined);
  all.forEach((variable, index) => {
    variable.assign(tf.randomNormal(variable.shape, 0, 0.7, 'float32', seed + index));
  });
  return all;
}

describe('polarizedSelfAttention', () => {
  for (const layout of ['parallel', 'sequential'] as const) {
    it(`matches a float64 re-computation of the PSA equations (${layout})`, () => {
      const weights = createPolarizedSelfAttentionWeights(6, { seed: 1 });
      const variables = randomize(weights, 100);
      const x = tf.randomNormal([2, 4, 5, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
      const y = polarizedSelfAttention(x, weights, { layout, layerNormEpsilon: 1e-5 });
      const expected = polarizedSelfAttentionReference(toArray4(x), toReference(weights), layout, 1e-5);
      expect(y.shape).toEqual([2, 4, 5, 6]);
      expect(relativeError(y, expected)).toBeLessThan(1e-5);
      tf.dispose([x, y, ...variables]);
    });
  }

  it('leaves no tensors behind', () => {
    const weights = createPolarizedSelfAttentionWeights(4, { seed: 1 });
    const x = tf.ones([1, 6, 6, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = polarizedSelfAttention(x, weights, { layout: 'sequential' });
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
  });

  it('rejects bad layouts and widths with named RangeErrors', () => {
    expect(() => new PolarizedSelfAttention({ layout: 'serial' as never })).toThrow(
      /^PolarizedSelfAttention: layout/,
    );
    expect(() => createPolarizedSelfAttentionWeights(6, { reducedChannels: 0 })).toThrow(RangeError);
  });
});

describe('PolarizedSelfAttention layer', () => {
  it('has the hand-counted number of parameters', () => {
    // C = 8, R = 4: channel query 8 (no bias); channel value 8*4 + 4 = 36; channel up 4*8 + 8 = 40;
    // layer norm 8 + 8 = 16; spatial query 36; spatial value 36.
    const layer = new PolarizedSelfAttention();
    tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [16, 16, 8] }), layer] });
    expect(layer.countParams()).toBe(8 + 36 + 40 + 16 + 36 + 36);
    // Six stacked attention maps (the DSA use), explicit R = 2, no biases: 6 + 12 + 12 + 12 + 12 + 12.
    const small = new PolarizedSelfAttention({ reducedChannels: 2, useBias: false });
    small.build([null, 32, 32, 6]);
    expect(small.countParams()).toBe(66);
  });

  it('passes a non-zero gradient to every trainable weight, in both layouts', () => {
    for (const layout of ['parallel', 'sequential'] as const) {
      const layer = new PolarizedSelfAttention({ seed: 2, layout });
      const x = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 4) as tf.Tensor4D;
      layer.apply(x);
      const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const target = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 5);
      const { grads, value } = tf.variableGrads(
        () => tf.mean(tf.square(tf.sub(layer.apply(x) as tf.Tensor, target))) as tf.Scalar,
        variables,
      );
      for (const variable of variables) {
        expect(tf.max(tf.abs(grads[variable.name])).dataSync()[0], variable.name).toBeGreaterThan(0);
      }
      tf.dispose([x, target, value, ...Object.values(grads)]);
    }
  });
});
