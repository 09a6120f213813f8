import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphFourierFilter } from './graph-fourier-filter.js';
import { leakedTensors, reference, relativeError } from './internal/test-helpers.js';
import { normalizedLaplacian } from './normalized-laplacian.js';
import { symmetricEigen } from './symmetric-eigen.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const { n, features, adjacency, signal, cases } = reference.filter;

function eigenvectorsOf(adjacencyValues: number[]): tf.Tensor {
  return symmetricEigen(normalizedLaplacian(tf.tensor3d(adjacencyValues, [1, n, n]))).eigenvectors;
}

describe('graphFourierFilter', () => {
  it('equals P_bar P_bar^T X from an independent eigendecomposition (numpy eigh), k = 0 the identity', () => {
    const vectors = eigenvectorsOf(adjacency);
    for (const { cutoff, filtered } of cases) {
      const result = graphFourierFilter(tf.tensor3d(signal, [1, n, features]), vectors, cutoff);
      expect(relativeError(result.dataSync(), filtered)).toBeLessThan(2e-5);
    }
    const identity = graphFourierFilter(tf.tensor3d(signal, [1, n, features]), vectors, 0).dataSync();
    expect(relativeError(identity, signal)).toBeLessThan(2e-6);
  });

  it('is equivariant to relabelling the nodes', () => {
    const permutation = [3, 0, 11, 5, 1, 7, 2, 10, 4, 9, 6, 8];
    const permutedAdjacency = permutation.flatMap((i) => permutation.map((j) => adjacency[i * n + j]));
    const permutedSignal = permutation.flatMap((i) => signal.slice(i * features, (i + 1) * features));
    const direct = graphFourierFilter(
      tf.tensor3d(signal, [1, n, features]),
      eigenvectorsOf(adjacency),
      5,
    ).dataSync();
    const permuted = graphFourierFilter(
      tf.tensor3d(permutedSignal, [1, n, features]),
      eigenvectorsOf(permutedAdjacency),
      5,
    ).dataSync();
    const expected = permutation.flatMap((i) => Array.from(direct.slice(i * features, (i + 1) * features)));
    expect(relativeError(permuted, expected)).toBeLessThan(2e-5);
  });

  it('removes everything at k = N and leaves no tensors behind', () => {
    const vectors = eigenvectorsOf(adjacency);
    const input = tf.tensor3d(signal, [1, n, features]);
    expect(
      leakedTensors(() => {
        const zero = graphFourierFilter(input, vectors, n);
        expect(tf.tidy(() => tf.max(tf.abs(zero)).dataSync()[0])).toBe(0);
        zero.dispose();
        graphFourierFilter(input, vectors, 4).dispose();
      }),
    ).toBe(0);
  });

  it('rejects bad input with clear errors', () => {
    const vectors = eigenvectorsOf(adjacency);
    const input = tf.tensor3d(signal, [1, n, features]);
    expect(() => graphFourierFilter(input, vectors, n + 1)).toThrow(
      /graphFourierFilter: cutoff must be an integer/,
    );
    expect(() => graphFourierFilter(tf.zeros([1, n - 1, 2]), vectors, 1)).toThrow(/do not match signal/);
    expect(() => graphFourierFilter(tf.zeros([n, 2]), vectors, 1)).toThrow(TypeError);
  });
});
