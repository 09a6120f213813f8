import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { leakedTensors, reference, relativeError } from './internal/test-helpers.js';
import { normalizedLaplacian, symmetricAdjacency } from './normalized-laplacian.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('normalizedLaplacian', () => {
  it('matches the closed form of a 3-node path graph', () => {
    const laplacian = normalizedLaplacian(
      tf.tensor2d([
        [0, 1, 0],
        [1, 0, 1],
        [0, 1, 0],
      ]),
    );
    const s = 1 / Math.sqrt(2);
    const expected = [1, -s, 0, -s, 1, -s, 0, -s, 1];
    expect(relativeError(laplacian.dataSync(), expected)).toBeLessThan(1e-6);
  });

  it('matches the NumPy reference on a batch and leaves no tensors behind', () => {
    const { n, adjacency, laplacian } = reference.filter;
    const input = tf.tensor3d([...adjacency, ...adjacency], [2, n, n]);
    expect(
      leakedTensors(() => {
        const result = normalizedLaplacian(input);
        expect(relativeError(result.dataSync(), [...laplacian, ...laplacian])).toBeLessThan(1e-6);
        result.dispose();
      }),
    ).toBe(0);
  });

  it('gives isolated nodes L_ii = 1 instead of NaN', () => {
    const laplacian = normalizedLaplacian(
      tf.tensor2d([
        [0, 0],
        [0, 0],
      ]),
    );
    expect(Array.from(laplacian.dataSync())).toEqual([1, 0, 0, 1]);
  });

  it('rejects non-finite or non-square adjacency', () => {
    expect(() =>
      normalizedLaplacian(
        tf.tensor2d([
          [0, Number.POSITIVE_INFINITY],
          [1, 0],
        ]),
      ),
    ).toThrow(/normalizedLaplacian: the adjacency has NaN or infinite entries/);
    expect(() => normalizedLaplacian(tf.zeros([2, 3]))).toThrow(/normalizedLaplacian: expected square/);
  });
});

describe('symmetricAdjacency', () => {
  it('exponential: exp of the symmetrised similarity divided by its maximum', () => {
    const s = [0, 1, 3, 0.5];
    const result = symmetricAdjacency(tf.tensor2d(s, [2, 2])).dataSync();
    const symmetric = [0, 2, 2, 0.5];
    expect(
      relativeError(
        result,
        symmetric.map((v) => Math.exp(v - 2)),
      ),
    ).toBeLessThan(1e-6);
  });

  it('softplus: log(1 + exp) of the symmetrised similarity', () => {
    const result = symmetricAdjacency(tf.tensor2d([0, -4, 2, 1], [2, 2]), 'softplus').dataSync();
    const expected = [0, -1, -1, 1].map((v) => Math.log1p(Math.exp(v)));
    expect(relativeError(result, expected)).toBeLessThan(1e-6);
  });
});
