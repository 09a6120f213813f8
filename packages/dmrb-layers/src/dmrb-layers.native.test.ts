import { activateBackend, backendParity } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import type { layers } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDmrbWeights, DEFAULT_DMRB_OPTIONS, dmrb } from './dmrb.js';
import { Dmrb, type DmrbLayerArguments } from './dmrb-layer.js';
import type { WeightDescription } from './internal/weights.js';
import {
  PolarizedSelfAttention,
  type PolarizedSelfAttentionLayerArguments,
} from './polarized-self-attention-layer.js';
import { ResidualConvBlock, type ResidualConvBlockLayerArguments } from './residual-conv-block-layer.js';
import { spectralNormalizeKernel } from './spectral-normalization.js';
import {
  SpectralNormalizedConv2D,
  type SpectralNormalizedConv2DLayerArguments,
} from './spectral-normalized-conv2d.js';

/**
 * The native lane: the Dmrb, ResidualConvBlock, PolarizedSelfAttention and SpectralNormalizedConv2D layers, forward
 * (tfjs's fused convolution kernel) and backward (gradients with respect to the input and every trainable weight),
 * the functional DMRB in training mode (power iteration) and spectral normalisation itself, on native TensorFlow
 * against the cpu backend, on tiny shapes.
 */

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
  await activateBackend('tensorflow', { ignoreEnvironment: true });
});

/** The largest relative error of all outputs of `compute` on tensorflow against cpu. */
async function worstRelativeError(compute: () => tf.Tensor[]): Promise<number> {
  const parity = await backendParity(compute, { backend: 'tensorflow' });
  expect(parity.length).toBeGreaterThan(0);
  return Math.max(...parity.map((output) => output.maxRelativeError));
}

/**
 * Builds `layer` on cpu for `shape` and moves every trainable weight off its initial value (zero biases and betas,
 * unit gammas), so that each of them matters in the forward pass.
 */
async function built<T extends layers.Layer>(layer: T, shape: number[]): Promise<T> {
  await tf.setBackend('cpu');
  layer.build(shape);
  layer.trainableWeights.forEach((weight, index) => {
    const variable = weight.read() as tf.Variable;
    tf.tidy(() =>
      variable.assign(tf.add(variable, tf.randomUniform(variable.shape, -0.1, 0.1, 'float32', 100 + index))),
    );
  });
  return layer;
}

/** Output, input gradient and the gradient of every trainable weight of `layer` under a seeded linear loss. */
function layerOutputsAndGradients(layer: layers.Layer, shape: number[], seed: number) {
  return (): tf.Tensor[] => {
    const input = tf.randomUniform(shape, -1, 1, 'float32', seed);
    const output = layer.apply(input) as tf.Tensor;
    const weights = tf.randomUniform(output.shape, -1, 1, 'float32', seed + 1);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(weights, layer.apply(x) as tf.Tensor)) as tf.Scalar;
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => loss(input), variables);
    return [output, tf.grad(loss)(input), ...variables.map((variable) => grads[variable.name])];
  };
}

/** Runs a layer case: every output within `tolerance` (relative), one output per trainable weight plus two. */
async function expectLayerParity(layer: layers.Layer, shape: number[], tolerance: number): Promise<void> {
  const parity = await backendParity(layerOutputsAndGradients(layer, shape, 7), { backend: 'tensorflow' });
  expect(parity).toHaveLength(2 + layer.trainableWeights.length);
  for (const output of parity) expect(output.maxRelativeError).toBeLessThan(tolerance);
  for (const weight of layer.weights) weight.dispose();
}

describe('Dmrb on tensorflow against cpu', () => {
  const cases: [string, DmrbLayerArguments, number[]][] = [
    ['two RCBs, 1x1 fusion', { blockCount: 2 }, [1, 6, 6, 4]],
    [
      "spectral normalisation (inference), fusion 'last', hidden channels, batch of 2",
      { blockCount: 2, spectralNormalization: true, fusion: 'last', hiddenChannels: 6 },
      [2, 5, 6, 3],
    ],
  ];
  for (const [name, options, shape] of cases) {
    it(`matches cpu in output and gradients wrt input and all weights: ${name}`, async () => {
      await expectLayerParity(await built(new Dmrb({ seed: 3, ...options }), shape), shape, 1e-4);
    });
  }

  it('matches cpu in training mode (two power iterations per convolution), functional dmrb', async () => {
    const options = { ...DEFAULT_DMRB_OPTIONS, blockCount: 2, spectralNormalization: true };
    const error = await worstRelativeError(() => {
      // Plain tensors, not variables: nothing is stored, so both backends start from the same vectors.
      const descriptions: WeightDescription[] = [];
      buildDmrbWeights((description) => descriptions.push(description), 4, options);
      const values = descriptions.map((description, index) =>
        description.role === 'spectral-vector'
          ? tf.randomNormal([...description.shape], 0, 1, 'float32', index + 1)
          : tf.randomUniform([...description.shape], -0.3, 0.3, 'float32', index + 1),
      );
      const trainable = descriptions.flatMap((description, index) => (description.trainable ? [index] : []));
      const input = tf.randomUniform([1, 5, 5, 4], -1, 1, 'float32', 50);
      const projection = tf.randomUniform([1, 5, 5, 4], -1, 1, 'float32', 51);
      const run = (x: tf.Tensor, ...weights: tf.Tensor[]) => {
        const all = [...values];
        trainable.forEach((position, index) => {
          all[position] = weights[index];
        });
        let next = 0;
        const tree = buildDmrbWeights(() => all[next++], 4, options);
        return dmrb(x as tf.Tensor4D, tree, { ...options, training: true, powerIterations: 2 });
      };
      const gradients = tf.grads((x: tf.Tensor, ...weights: tf.Tensor[]) =>
        tf.sum(tf.mul(projection, run(x, ...weights))),
      )([input, ...trainable.map((index) => values[index])]);
      return [run(input, ...trainable.map((index) => values[index])), ...gradients];
    });
    expect(error).toBeLessThan(1e-4);
  });
});

describe('ResidualConvBlock on tensorflow against cpu', () => {
  const cases: [string, ResidualConvBlockLayerArguments, number[]][] = [
    ['defaults (3x3, LeakyReLU 0.2, bias)', {}, [1, 6, 6, 4]],
    [
      '5x5 without bias, hidden channels 6, LeakyReLU 0.1, spectral normalisation, batch of 2',
      { kernelSize: 5, useBias: false, hiddenChannels: 6, leakyReluAlpha: 0.1, spectralNormalization: true },
      [2, 7, 5, 3],
    ],
  ];
  for (const [name, options, shape] of cases) {
    it(`matches cpu in output and gradients wrt input and all weights: ${name}`, async () => {
      await expectLayerParity(
        await built(new ResidualConvBlock({ seed: 4, ...options }), shape),
        shape,
        1e-4,
      );
    });
  }
});

describe('PolarizedSelfAttention on tensorflow against cpu', () => {
  const cases: [string, PolarizedSelfAttentionLayerArguments, number[]][] = [
    ['parallel layout', { layout: 'parallel' }, [1, 5, 6, 8]],
    [
      'sequential layout, 2 reduced channels, no bias, batch of 2',
      { layout: 'sequential', reducedChannels: 2, useBias: false },
      [2, 4, 4, 6],
    ],
  ];
  for (const [name, options, shape] of cases) {
    it(`matches cpu in output and gradients wrt input and all weights: ${name}`, async () => {
      await expectLayerParity(
        await built(new PolarizedSelfAttention({ seed: 5, ...options }), shape),
        shape,
        1e-4,
      );
    });
  }
});

describe('spectral normalisation on tensorflow against cpu', () => {
  const cases: [string, SpectralNormalizedConv2DLayerArguments, number[]][] = [
    [
      "3x3, stride 2, padding 'valid', LeakyReLU 0.2",
      { filters: 5, strides: 2, padding: 'valid', leakyReluAlpha: 0.2 },
      [1, 7, 7, 3],
    ],
    ['1x1 without bias', { filters: 4, kernelSize: 1, useBias: false }, [2, 3, 3, 6]],
  ];
  for (const [name, options, shape] of cases) {
    it(`SpectralNormalizedConv2D matches cpu in output and gradients wrt input and all weights: ${name}`, async () => {
      await expectLayerParity(
        await built(new SpectralNormalizedConv2D({ seed: 6, ...options }), shape),
        shape,
        1e-4,
      );
    });
  }

  it('spectralNormalizeKernel matches cpu in kernel, vector, sigma (3 power iterations) and the kernel gradient', async () => {
    const error = await worstRelativeError(() => {
      const kernel = tf.randomUniform([3, 3, 4, 6], -1, 1, 'float32', 60);
      const vector = tf.randomNormal([1, 6], 0, 1, 'float32', 61);
      const projection = tf.randomUniform([3, 3, 4, 6], -1, 1, 'float32', 62);
      const normalize = (k: tf.Tensor) =>
        spectralNormalizeKernel(k as tf.Tensor4D, vector as tf.Tensor2D, { powerIterations: 3 });
      const result = normalize(kernel);
      const gradient = tf.grad((k: tf.Tensor) => tf.sum(tf.mul(projection, normalize(k).kernel)))(kernel);
      return [result.kernel, result.spectralVector, result.sigma, gradient];
    });
    expect(error).toBeLessThan(1e-4);
  });
});
