import { activateBackend, backendParity } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import type { layers } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fsgt, type FsgtOptions } from './fsgt.js';
import { graphFourierFilter } from './graph-fourier-filter.js';
import { normalizedLaplacian, symmetricAdjacency } from './normalized-laplacian.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { type EigenSolver, SYMMETRIC_EIGEN_KERNEL_NAME } from './symmetric-eigen-kernel.js';
import { WindowAttention, type WindowAttentionOptions } from './window-attention.js';

/**
 * The native lane: the eigendecomposition (TensorFlow's `SelfAdjointEigV2` behind the `SiranSymmetricEigen` kernel
 * that `@siran/backend` registers for tensorflow, against the float64 host solver on cpu), the normalised Laplacian,
 * the graph Fourier filter and the Fsgt and WindowAttention layers, forward and backward, on native TensorFlow
 * against the cpu backend. Eigenvector signs are arbitrary, so only sign-free quantities are compared.
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

/** Seeded symmetric matrices `[...batch, n, n]` with entries in `(-1, 1)`. */
function symmetricMatrices(shape: number[], seed: number): tf.Tensor {
  const x = tf.randomUniform(shape, -1, 1, 'float32', seed);
  const axes = shape.map((_, i) => i);
  [axes[axes.length - 2], axes[axes.length - 1]] = [axes[axes.length - 1], axes[axes.length - 2]];
  return tf.mul(tf.add(x, tf.transpose(x, axes)), 0.5);
}

/** The kernel solver on tensorflow, the float64 host solver on cpu (which has no kernel). */
const kernelOnTensorflow = (): EigenSolver => (tf.getBackend() === 'tensorflow' ? 'kernel' : 'host');

/** `V diag(l) V^T` and `|V|`: the sign-free parts of a decomposition. */
function signFree(eigenvalues: tf.Tensor, eigenvectors: tf.Tensor): tf.Tensor[] {
  const reconstruction = tf.matMul(
    tf.mul(eigenvectors, tf.expandDims(eigenvalues, -2)),
    eigenvectors,
    false,
    true,
  );
  return [eigenvalues, reconstruction, tf.abs(eigenvectors)];
}

/** A sign-free loss of a decomposition: weighted eigenvalues plus the projector on the top `n - keep` vectors. */
function eigenLoss(matrices: tf.Tensor, solver: EigenSolver, keep: number, seed: number): tf.Scalar {
  const { eigenvalues, eigenvectors } = symmetricEigen(matrices, { solver });
  const n = matrices.shape[matrices.rank - 1];
  const top = tf.slice(
    eigenvectors,
    eigenvectors.shape.map((_, i) => (i === eigenvectors.rank - 1 ? keep : 0)),
    [...eigenvectors.shape.slice(0, -1), n - keep],
  );
  const projector = tf.matMul(top, top, false, true);
  const w = tf.randomUniform(projector.shape, -1, 1, 'float32', seed);
  const c = tf.randomUniform(eigenvalues.shape, -1, 1, 'float32', seed + 1);
  return tf.add(tf.sum(tf.mul(w, projector)), tf.sum(tf.mul(c, eigenvalues))) as tf.Scalar;
}

describe('symmetricEigen on tensorflow against cpu', () => {
  it(`finds the ${SYMMETRIC_EIGEN_KERNEL_NAME} kernel that @siran/backend registers for tensorflow`, () => {
    expect(tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'tensorflow')).toBeDefined();
    expect(tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'cpu')).toBeUndefined();
  });

  for (const solver of ['kernel', 'host'] as const) {
    const on =
      solver === 'kernel' ? "solver 'kernel' (TensorFlow's SelfAdjointEigV2)" : "solver 'host' on both";
    it(`matches cpu in eigenvalues, V diag(l) V^T and |V| of a [2, 3, 6, 6] batch, ${on}`, async () => {
      const error = await worstRelativeError(() => {
        const a = symmetricMatrices([2, 3, 6, 6], 1);
        const { eigenvalues, eigenvectors } = symmetricEigen(a, {
          solver: solver === 'kernel' ? kernelOnTensorflow() : 'host',
        });
        return signFree(eigenvalues, eigenvectors);
      });
      expect(error).toBeLessThan(1e-4);
    });

    it(`matches cpu in the analytic gradient of eigenvalues and a projector, [3, 7, 7], ${on}`, async () => {
      const error = await worstRelativeError(() => {
        const a = symmetricMatrices([3, 7, 7], 2);
        const choose = solver === 'kernel' ? kernelOnTensorflow() : 'host';
        return [tf.grad((m: tf.Tensor) => eigenLoss(m, choose, 3, 3))(a)];
      });
      expect(error).toBeLessThan(1e-4);
    });
  }
});

describe('normalised Laplacian and graph Fourier filter on tensorflow against cpu', () => {
  for (const activation of ['exponential', 'softplus'] as const) {
    it(`matches cpu: symmetricAdjacency ('${activation}') then normalizedLaplacian, value and gradient`, async () => {
      const error = await worstRelativeError(() => {
        const similarity = tf.randomUniform([2, 9, 9], -2, 2, 'float32', 4);
        const weights = tf.randomUniform([2, 9, 9], -1, 1, 'float32', 5);
        const laplacian = (s: tf.Tensor) => normalizedLaplacian(symmetricAdjacency(s, activation));
        const gradient = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(weights, laplacian(s))))(similarity);
        return [laplacian(similarity), gradient];
      });
      expect(error).toBeLessThan(1e-4);
    });
  }

  it('matches cpu: high-pass filter of a signal on the Laplacian eigenvectors, and its gradients', async () => {
    const error = await worstRelativeError(() => {
      const similarity = tf.randomUniform([2, 9, 9], -2, 2, 'float32', 6);
      const signal = tf.randomUniform([2, 9, 5], -1, 1, 'float32', 7);
      const weights = tf.randomUniform([2, 9, 5], -1, 1, 'float32', 8);
      const filtered = (s: tf.Tensor, x: tf.Tensor) => {
        const { eigenvectors } = symmetricEigen(normalizedLaplacian(symmetricAdjacency(s)), {
          solver: kernelOnTensorflow(),
        });
        return graphFourierFilter(x, eigenvectors, 4);
      };
      const [dSimilarity, dSignal] = tf.grads((s: tf.Tensor, x: tf.Tensor) =>
        tf.sum(tf.mul(weights, filtered(s, x))),
      )([similarity, signal]);
      return [filtered(similarity, signal), dSimilarity, dSignal];
    });
    expect(error).toBeLessThan(1e-4);
  });
});

/** Output, input gradient and the gradient of every trainable weight of `layer` under a seeded linear loss. */
function layerOutputsAndGradients(layer: layers.Layer, shape: number[], seed: number) {
  return (): tf.Tensor[] => {
    const input = tf.randomUniform(shape, -1, 1, 'float32', seed);
    const weights = tf.randomUniform(shape, -1, 1, 'float32', seed + 1);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(weights, layer.apply(x) as tf.Tensor)) as tf.Scalar;
    const variables = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => loss(input), variables);
    return [
      layer.apply(input) as tf.Tensor,
      tf.grad(loss)(input),
      ...variables.map((variable) => grads[variable.name]),
    ];
  };
}

/** Builds `layer` on cpu for inputs of `shape` (its weights then move to tensorflow when read there). */
async function built<T extends layers.Layer>(layer: T, shape: number[]): Promise<T> {
  await tf.setBackend('cpu');
  layer.build(shape);
  return layer;
}

describe('Fsgt on tensorflow against cpu', () => {
  const cases: [string, FsgtOptions, number[]][] = [
    ["eigenSolver 'auto' (the kernel on tensorflow, the host on cpu)", {}, [1, 8, 8, 4]],
    [
      "eigenSolver 'host' on both, padded input, constant cut-off",
      { eigenSolver: 'host', cutoffPolicy: 'constant' },
      [1, 7, 6, 4],
    ],
    ["eigenGradient 'stop', batch of 2", { eigenGradient: 'stop' }, [2, 6, 6, 4]],
  ];
  for (const [name, options, shape] of cases) {
    it(`matches cpu in output and gradients wrt input and all weights: ${name}`, async () => {
      const layer = await built(
        new Fsgt({ windowSize: 2, numHeads: 2, adjacencyChannels: 2, seed: 5, ...options }),
        shape,
      );
      const parity = await backendParity(layerOutputsAndGradients(layer, shape, 11), {
        backend: 'tensorflow',
      });
      expect(parity).toHaveLength(2 + layer.trainableWeights.length);
      for (const output of parity) expect(output.maxRelativeError).toBeLessThan(1e-4);
      for (const weight of layer.weights) weight.dispose();
    });
  }
});

describe('WindowAttention on tensorflow against cpu', () => {
  const cases: [string, WindowAttentionOptions, number[]][] = [
    ['W-MSA, window 3', { windowSize: 3, shift: 0 }, [1, 6, 6, 4]],
    ['SW-MSA, window 3 shifted by 1, padded input, batch of 2', { windowSize: 3, shift: 1 }, [2, 5, 7, 4]],
    ['no residual, window [2, 3]', { windowSize: [2, 3], residual: false }, [1, 4, 6, 4]],
  ];
  for (const [name, options, shape] of cases) {
    it(`matches cpu in output and gradients wrt input and all weights: ${name}`, async () => {
      const layer = await built(new WindowAttention({ numHeads: 2, seed: 9, ...options }), shape);
      const parity = await backendParity(layerOutputsAndGradients(layer, shape, 21), {
        backend: 'tensorflow',
      });
      expect(parity).toHaveLength(2 + layer.trainableWeights.length);
      for (const output of parity) expect(output.maxRelativeError).toBeLessThan(1e-4);
      for (const weight of layer.weights) weight.dispose();
    });
  }
});
