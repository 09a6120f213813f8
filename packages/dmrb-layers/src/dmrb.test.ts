import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConvolutionWeights } from './convolution.js';
import { createDmrbWeights, type DmrbWeights, dmrb } from './dmrb.js';
import { Dmrb } from './dmrb-layer.js';
import {
  type Array4,
  add,
  concatChannels,
  conv2dSame,
  map,
  type ReferenceConvolution,
  relativeError,
  residualConvBlockReference,
  toArray4,
  toVector,
} from './testing/float64-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const reference = (weights: ConvolutionWeights): ReferenceConvolution => ({
  kernel: toArray4(weights.kernel),
  bias: toVector(weights.bias),
});

/** DMRB written out with float64 loops: dense RCB chain, 1x1 transitions and fusion, scaled residual. */
function dmrbReference(x: Array4, weights: DmrbWeights, alpha: number, residualScale: number): Array4 {
  const features: Array4[] = [x];
  weights.blocks.forEach((block, index) => {
    const input =
      index === 0
        ? x
        : conv2dSame(
            concatChannels(features),
            toArray4(weights.transitions[index - 1].kernel),
            toVector(weights.transitions[index - 1].bias),
          );
    features.push(residualConvBlockReference(input, reference(block.first), reference(block.second), alpha));
  });
  const fused =
    weights.fusion === undefined
      ? features[features.length - 1]
      : conv2dSame(concatChannels(features), toArray4(weights.fusion.kernel), toVector(weights.fusion.bias));
  return add(
    x,
    map(fused, (v) => v * residualScale),
  );
}

function disposeWeights(weights: DmrbWeights<tf.Variable>): void {
  const convolutions = [
    ...weights.blocks.flatMap((b) => [b.first, b.second]),
    ...weights.transitions,
    ...(weights.fusion ? [weights.fusion] : []),
  ];
  tf.dispose(convolutions.flatMap((c) => Object.values(c).filter((v) => v !== undefined)));
}

describe('dmrb', () => {
  for (const fusion of ['convolution', 'last'] as const) {
    it(`matches a float64 re-computation (fusion '${fusion}')`, () => {
      const weights = createDmrbWeights(3, { blockCount: 3, fusion, seed: 21 });
      weights.blocks[1].first.bias!.assign(tf.fill([3], 0.25));
      weights.transitions[0].bias!.assign(tf.fill([3], -0.1));
      const x = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
      const y = dmrb(x, weights, { residualScale: 0.5, leakyReluAlpha: 0.2 });
      expect(relativeError(y, dmrbReference(toArray4(x), weights, 0.2, 0.5))).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      disposeWeights(weights);
    });
  }

  it('has gradients equal to central differences of the float64 re-computation', () => {
    const weights = createDmrbWeights(2, { blockCount: 2, seed: 31 });
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 32) as tf.Tensor4D;
    const loss64 = () => {
      const y = dmrbReference(toArray4(x), weights, 0.2, 0.5);
      return y.data.reduce((sum, v) => sum + v * v, 0) / y.data.length;
    };
    const probed = [weights.blocks[1].first.kernel, weights.transitions[0].kernel, weights.fusion!.bias!];
    const { grads, value } = tf.variableGrads(
      () => tf.mean(tf.square(dmrb(x, weights, { residualScale: 0.5 }))) as tf.Scalar,
      probed,
    );
    for (const variable of probed) {
      const analytic = grads[variable.name].dataSync();
      const original = variable.dataSync().slice();
      for (const index of [0, Math.floor(original.length / 2), original.length - 1]) {
        const step = 1e-3;
        const perturbed = (delta: number) => {
          const values = original.slice();
          values[index] += delta;
          variable.assign(tf.tensor(values, variable.shape));
          return loss64();
        };
        const numeric = (perturbed(step) - perturbed(-step)) / (2 * step);
        variable.assign(tf.tensor(original, variable.shape));
        expect(Math.abs(analytic[index] - numeric), `${variable.name}[${index}]`).toBeLessThan(
          1e-3 * Math.max(1e-2, Math.abs(numeric)),
        );
      }
    }
    tf.dispose([x, value, ...Object.values(grads)]);
    disposeWeights(weights);
  });

  it('leaves no tensors behind', () => {
    const weights = createDmrbWeights(4, { seed: 1 });
    const x = tf.ones([1, 8, 8, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = dmrb(x, weights);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
    disposeWeights(weights);
  });

  it('rejects bad options with named RangeErrors', () => {
    expect(() => createDmrbWeights(8, { blockCount: 0 })).toThrow(/^createDmrbWeights: blockCount/);
    expect(() => new Dmrb({ fusion: 'sum' as never })).toThrow(/^Dmrb: fusion must be/);
    expect(() => new Dmrb({ residualScale: Number.NaN })).toThrow(RangeError);
  });
});

describe('Dmrb layer', () => {
  it('has the hand-counted number of parameters', () => {
    // Default: 3 RCBs on 8 channels.
    // RCB: 2 * (9*8*8 + 8) = 1168, three of them: 3504.
    // Transitions before RCB 1 and 2: (16*8 + 8) + (24*8 + 8) = 136 + 200 = 336. Fusion: 32*8 + 8 = 264.
    const layer = new Dmrb();
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [16, 16, 8] }), layer] });
    expect(layer.countParams()).toBe(3504 + 336 + 264);
    expect(model.outputs[0].shape).toEqual([null, 16, 16, 8]);
    // Two RCBs, no biases, no fusion convolution: 2 * 2 * 9*8*8 + 16*8 = 2304 + 128.
    const lean = new Dmrb({ blockCount: 2, useBias: false, fusion: 'last' });
    lean.build([null, 16, 16, 8]);
    expect(lean.countParams()).toBe(2432);
    expect(lean.weights.length).toBe(5);
  });

  it('is deterministic for a seed, and differs across seeds and across weights', () => {
    const build = (seed: number) => {
      const layer = new Dmrb({ seed, blockCount: 2 });
      layer.build([null, 8, 8, 4]);
      return layer.getWeights();
    };
    const first = build(7);
    const again = build(7);
    const other = build(8);
    first.forEach((w, i) => {
      expect(Array.from(w.dataSync())).toEqual(Array.from(again[i].dataSync()));
    });
    expect(Array.from(first[0].dataSync())).not.toEqual(Array.from(other[0].dataSync()));
    // block_0/conv_1 and block_0/conv_2 have the same shape but must not share values.
    expect(Array.from(first[0].dataSync())).not.toEqual(Array.from(first[2].dataSync()));
    tf.dispose([...first, ...again, ...other]);
  });

  it('computes the same as the functional form with the same seed, and reports the same shape', () => {
    const layer = new Dmrb({ seed: 3 });
    const weights = createDmrbWeights(8, { seed: 3 });
    const x = tf.randomNormal([2, 16, 16, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    const fromLayer = layer.apply(x) as tf.Tensor;
    const fromFunction = dmrb(x, weights);
    expect(layer.computeOutputShape([2, 16, 16, 8])).toEqual([2, 16, 16, 8]);
    expect(tf.max(tf.abs(tf.sub(fromLayer, fromFunction))).dataSync()[0]).toBe(0);
    tf.dispose([x, fromLayer, fromFunction]);
    disposeWeights(weights);
  });

  it('passes a non-zero gradient to every trainable weight', () => {
    const layer = new Dmrb({ seed: 4, blockCount: 3 });
    const x = tf.randomNormal([1, 12, 12, 8], 0, 1, 'float32', 6) as tf.Tensor4D;
    layer.apply(x);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const target = tf.randomNormal([1, 12, 12, 8], 0, 1, 'float32', 7);
    const { grads, value } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(layer.apply(x) as tf.Tensor, target))) as tf.Scalar,
      variables,
    );
    expect(Object.keys(grads).length).toBe(layer.trainableWeights.length);
    for (const variable of variables) {
      expect(tf.max(tf.abs(grads[variable.name])).dataSync()[0], variable.name).toBeGreaterThan(0);
    }
    tf.dispose([x, target, value, ...Object.values(grads)]);
  });

  it('trains with model.fit (loss goes down)', async () => {
    const input = tfl.input({ shape: [8, 8, 4] });
    const output = new Dmrb({ seed: 9, blockCount: 2 }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 8, 8, 4], 0, 1, 'float32', 10);
    const y = tf.mul(x, 0.5);
    const history = await model.fit(x, y, { epochs: 8, batchSize: 4, verbose: 0, shuffle: false });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(0.8 * losses[0]);
    tf.dispose([x, y]);
    model.dispose();
  });
});
