import { activateBackend, backendParity } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropicTransport } from './entropic-transport.js';
import type { SinkhornOptions } from './options.js';
import { sinkhornDistance } from './sinkhorn-distance.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

/**
 * The native lane: the Sinkhorn divergence, distance and transport plan, and their gradients with respect to both
 * point sets (and the weights), on native TensorFlow against the cpu backend. On cpu `logSumExp: 'auto'` runs the
 * fused `SiranScaledLogSumExp` kernels of `@siran/backend`, on tensorflow the tfjs-core ops, so the default case
 * also checks the fused kernels against the ops.
 */

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
  await activateBackend('tensorflow', { ignoreEnvironment: true });
});

/** Seeded points in `[0, 1)`, shifted by `offset`. */
const points = (shape: number[], seed: number, offset = 0): tf.Tensor =>
  tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), offset);

/** The largest relative error of all outputs of `compute` on tensorflow against cpu. */
async function worstRelativeError(compute: () => tf.Tensor[]): Promise<number> {
  const parity = await backendParity(compute, { backend: 'tensorflow' });
  expect(parity.length).toBeGreaterThan(0);
  return Math.max(...parity.map((output) => output.maxRelativeError));
}

/** Divergence value and its gradients with respect to `x` and `y`. */
const divergenceAndGradients =
  (xShape: number[], yShape: number[], options: SinkhornOptions) => (): tf.Tensor[] => {
    const x = points(xShape, 1);
    const y = points(yShape, 2, 0.25);
    const value = sinkhornDivergence(x, y, options);
    const [dx, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(sinkhornDivergence(a, b, options)))([
      x,
      y,
    ]);
    return [value, dx, dy];
  };

describe('sinkhornDivergence on tensorflow against cpu', () => {
  const cases: [string, number[], number[], SinkhornOptions][] = [
    ['defaults (fused kernels on cpu, ops on tensorflow), unbatched', [12, 3], [10, 3], {}],
    [
      "logSumExp 'ops', absolute epsilon, dimension normalisation, batched",
      [2, 9, 4],
      [2, 7, 4],
      {
        logSumExp: 'ops',
        relativeEpsilon: false,
        epsilon: 0.2,
        costNormalization: 'dimension',
        iterations: 20,
      },
    ],
    [
      "blockwise in blocks of 4 rows, logSumExp 'ops'",
      [11, 2],
      [13, 2],
      { strategy: 'blockwise', blockSize: 4, logSumExp: 'ops' },
    ],
    [
      'envelope gradient, alternating self terms, epsilon annealing, mean normalisation',
      [2, 8, 3],
      [2, 8, 3],
      {
        gradient: 'envelope',
        selfTermUpdate: 'alternating',
        epsilonAnnealing: true,
        costNormalization: 'mean',
        iterations: 30,
      },
    ],
  ];
  for (const [name, xShape, yShape, options] of cases) {
    it(`matches cpu: ${name}`, async () => {
      expect(await worstRelativeError(divergenceAndGradients(xShape, yShape, options))).toBeLessThan(1e-4);
    });
  }

  it('matches cpu in the gradient with respect to non-uniform weights a and b', async () => {
    const error = await worstRelativeError(() => {
      const x = points([6, 2], 3);
      const y = points([5, 2], 4, 0.5);
      const a = tf.softmax(tf.randomUniform([6], -1, 1, 'float32', 5));
      const b = tf.softmax(tf.randomUniform([5], -1, 1, 'float32', 6));
      const loss = (wa: tf.Tensor, wb: tf.Tensor) =>
        sinkhornDivergence(x, y, { a: wa, b: wb, logSumExp: 'ops' });
      const [da, db] = tf.grads(loss)([a, b]);
      return [loss(a, b), da, db];
    });
    expect(error).toBeLessThan(1e-4);
  });
});

describe('sinkhornDistance and entropicTransport on tensorflow against cpu', () => {
  it("matches cpu: sinkhornDistance, readout 'sharp', value and gradients", async () => {
    const error = await worstRelativeError(() => {
      const x = points([2, 10, 3], 7);
      const y = points([2, 8, 3], 8, -0.3);
      const options: SinkhornOptions = {
        readout: 'sharp',
        epsilon: 0.05,
        relativeEpsilon: false,
        iterations: 25,
      };
      const [dx, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(sinkhornDistance(a, b, options)))([
        x,
        y,
      ]);
      return [sinkhornDistance(x, y, options), dx, dy];
    });
    expect(error).toBeLessThan(1e-4);
  });

  it('matches cpu: entropicTransport plan, potentials and value, and the gradient of the value', async () => {
    const error = await worstRelativeError(() => {
      const x = points([9, 2], 9);
      const y = points([7, 2], 10, 0.2);
      const solve = (a: tf.Tensor) => entropicTransport(a, y, { iterations: 30 });
      const { plan, rowPotential, columnPotential, value } = solve(x);
      const dx = tf.grad((a: tf.Tensor) => solve(a).value)(x);
      return [plan, rowPotential, columnPotential, value, dx];
    });
    expect(error).toBeLessThan(1e-4);
  });
});
