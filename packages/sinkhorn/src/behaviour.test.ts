import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropicTransport } from './entropic-transport.js';
import type { CostFunction } from './options.js';
import { sinkhornDistance } from './sinkhorn-distance.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const scalar = (t: tf.Tensor): number => {
  const value = t.dataSync()[0];
  t.dispose();
  return value;
};

function uniformPoints(n: number, d: number, seed: number, offset = 0): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.randomUniform([n, d], 0, 1, 'float32', seed), offset)) as tf.Tensor2D;
}

describe('memory', () => {
  it('leaves no tensors behind, forward and backward, in every mode', () => {
    const x = uniformPoints(12, 3, 1);
    const y = uniformPoints(10, 3, 2, 0.3);
    const before = tf.memory().numTensors;
    for (const strategy of ['dense', 'blockwise'] as const) {
      for (const gradient of ['unrolled', 'envelope'] as const) {
        const options = {
          strategy,
          gradient,
          blockSize: 4,
          tolerance: 1e-5,
          iterations: 20,
          epsilonAnnealing: true,
        };
        tf.dispose(sinkhornDivergence(x, y, options));
        tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => sinkhornDivergence(a, b, options))([x, y]));
      }
      const result = entropicTransport(x, y, { strategy, readout: 'sharp' });
      tf.dispose([result.plan, result.rowPotential, result.columnPotential, result.value]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});

describe('bad input', () => {
  const x = uniformPoints(5, 2, 3);
  const y = uniformPoints(6, 2, 4);
  it('rejects mismatched dimensions, ranks and batches', () => {
    expect(() => sinkhornDivergence(x, uniformPoints(6, 3, 5))).toThrow(
      /sinkhornDivergence: point dimensions differ/,
    );
    expect(() => sinkhornDivergence(tf.zeros([2, 5, 2]), y)).toThrow(/rank/);
    expect(() => sinkhornDivergence(tf.zeros([2, 5, 2]), tf.zeros([3, 5, 2]))).toThrow(/batch sizes differ/);
    expect(() => sinkhornDivergence(tf.zeros([5]), tf.zeros([5]))).toThrow(RangeError);
    expect(() => sinkhornDivergence(tf.zeros([5, 2], 'int32'), y)).toThrow(TypeError);
  });
  it('rejects bad options', () => {
    expect(() => sinkhornDivergence(x, y, { epsilon: 0 })).toThrow(/epsilon is 0; expected a positive/);
    expect(() => sinkhornDivergence(x, y, { epsilon: -1 })).toThrow(RangeError);
    expect(() => sinkhornDivergence(x, y, { iterations: 2.5 })).toThrow(/iterations/);
    expect(() => sinkhornDivergence(x, y, { readout: 'sharp', gradient: 'envelope' })).toThrow(/envelope/);
    expect(() => sinkhornDivergence(x, y, { costNormalization: 'median' as 'mean' })).toThrow(
      /costNormalization/,
    );
    expect(() => sinkhornDivergence(x, y, { cost: 'l1' as 'sqeuclidean' })).toThrow(TypeError);
  });
  it('rejects bad weights', () => {
    expect(() => sinkhornDivergence(x, y, { a: tf.tensor1d([0.5, 0.5, 0.5, -0.5, 0]) })).toThrow(/negative/);
    expect(() => sinkhornDivergence(x, y, { a: tf.fill([5], 0.3) })).toThrow(/sum of weights a/);
    expect(() => sinkhornDivergence(x, y, { b: tf.fill([5], 0.2) })).toThrow(/weights b|\[5\]/);
  });
  it('rejects NaN and infinity in the points', () => {
    const bad = tf.tensor2d([
      [0, 1],
      [Number.NaN, 2],
    ]);
    expect(() => sinkhornDivergence(bad, y)).toThrow(/NaN or infinite/);
    expect(() => sinkhornDistance(x, tf.tensor2d([[Number.POSITIVE_INFINITY, 0]]))).toThrow(
      /NaN or infinite/,
    );
  });
});

describe('properties', () => {
  it('S(x, x) is exactly 0, batched too, and S > 0 otherwise', () => {
    const x = uniformPoints(20, 4, 6);
    expect(scalar(sinkhornDivergence(x, x.clone()))).toBe(0);
    const batchX = tf.stack([x, uniformPoints(20, 4, 7)]);
    const batchY = tf.stack([x, uniformPoints(20, 4, 8, 0.5)]);
    const values = sinkhornDivergence(batchX, batchY).dataSync();
    expect(values[0]).toBe(0);
    expect(values[1]).toBeGreaterThan(0);
  });

  it('a batch equals the problems solved one by one', () => {
    const xs = [uniformPoints(9, 3, 10), uniformPoints(9, 3, 11)];
    const ys = [uniformPoints(7, 3, 12, 0.2), uniformPoints(7, 3, 13, 0.4)];
    const options = { relativeEpsilon: false, epsilon: 0.05 };
    const batched = sinkhornDivergence(tf.stack(xs), tf.stack(ys), options).dataSync();
    xs.forEach((x, i) => {
      expect(batched[i]).toBeCloseTo(scalar(sinkhornDivergence(x, ys[i], options)), 6);
    });
  });

  it('cost normalisation and relative epsilon obey their scaling laws', () => {
    const x = uniformPoints(16, 8, 14);
    const y = uniformPoints(16, 8, 15, 0.3);
    const absolute = { relativeEpsilon: false, iterations: 30 } as const;
    // Dividing the cost by d is the same problem as multiplying epsilon by d, up to the factor d on the value.
    const perFeature = scalar(
      sinkhornDivergence(x, y, { ...absolute, epsilon: 0.05, costNormalization: 'dimension' }),
    );
    const raw = scalar(sinkhornDivergence(x, y, { ...absolute, epsilon: 0.05 * 8 }));
    expect(perFeature).toBeCloseTo(raw / 8, 6);
    // Mean normalisation makes the value invariant to the scale of the data; relative epsilon makes it scale as k^2.
    const scaled = [tf.mul(x, 1000), tf.mul(y, 1000)];
    const meanNormalised = { ...absolute, costNormalization: 'mean' } as const;
    expect(scalar(sinkhornDivergence(scaled[0], scaled[1], meanNormalised))).toBeCloseTo(
      scalar(sinkhornDivergence(x, y, meanNormalised)),
      5,
    );
    const relative = scalar(sinkhornDivergence(x, y, { iterations: 30 }));
    expect(scalar(sinkhornDivergence(scaled[0], scaled[1], { iterations: 30 })) / 1e6).toBeCloseTo(
      relative,
      5,
    );
  });

  it('never produces NaN at epsilon = 1e-3 on unnormalised data (metres)', () => {
    const x = tf.mul(uniformPoints(32, 2, 16), 3000);
    const y = tf.mul(uniformPoints(24, 2, 17, 0.1), 3000);
    for (const strategy of ['dense', 'blockwise'] as const) {
      const options = { epsilon: 1e-3, relativeEpsilon: false, strategy, blockSize: 5 };
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
        sinkhornDivergence(a, b, options),
      )([x, y]);
      for (const t of [value, ...grads]) expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
    }
  });

  it('a custom cost equal to the squared Euclidean one gives the same value and gradients (dense and blockwise)', () => {
    const cost: CostFunction = (rows, columns) =>
      tf.sum(tf.square(tf.sub(tf.expandDims(rows, 2), tf.expandDims(columns, 1))), 3) as tf.Tensor3D;
    const x = uniformPoints(11, 3, 18);
    const y = uniformPoints(13, 3, 19, 0.2);
    for (const strategy of ['dense', 'blockwise'] as const) {
      const run = (c: 'sqeuclidean' | CostFunction) =>
        tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
          sinkhornDivergence(a, b, { cost: c, strategy, blockSize: 4, iterations: 15 }),
        )([x, y]);
      const builtIn = run('sqeuclidean');
      const custom = run(cost);
      expect(custom.value.dataSync()[0]).toBeCloseTo(builtIn.value.dataSync()[0], 5);
      for (let i = 0; i < 2; i++) {
        const difference = tf.max(tf.abs(tf.sub(custom.grads[i], builtIn.grads[i]))).dataSync()[0];
        expect(difference).toBeLessThan(1e-5);
      }
    }
  });

  it('the weight gradient matches central finite differences (float64 accumulation of float32 runs)', () => {
    const x = uniformPoints(6, 2, 20);
    const y = uniformPoints(5, 2, 21, 0.5);
    const a = tf.tensor1d([0.1, 0.2, 0.15, 0.25, 0.2, 0.1]);
    const options = { epsilon: 0.5, relativeEpsilon: false, iterations: 40, validateInputs: false };
    const gradient = tf
      .grad((w: tf.Tensor) => sinkhornDivergence(x, y, { ...options, a: w }))(a)
      .dataSync();
    const h = 1e-2;
    for (const [i, j] of [
      [0, 3],
      [2, 5],
    ]) {
      // Move mass from point j to point i so the weights still sum to 1.
      const shifted = (sign: number) => {
        const values = Array.from(a.dataSync());
        values[i] += sign * h;
        values[j] -= sign * h;
        return scalar(sinkhornDivergence(x, y, { ...options, a: tf.tensor1d(values) }));
      };
      const numeric = (shifted(1) - shifted(-1)) / (2 * h);
      expect(gradient[i] - gradient[j]).toBeCloseTo(numeric, 3);
    }
  });

  it('epsilon annealing with a tolerance converges to the same value as plain iterations', () => {
    const x = uniformPoints(24, 2, 22);
    const y = uniformPoints(24, 2, 23, 0.25);
    const base = { epsilon: 0.02, relativeEpsilon: false, iterations: 2000, tolerance: 1e-4 } as const;
    const plain = entropicTransport(x, y, base);
    const annealed = entropicTransport(x, y, { ...base, epsilonAnnealing: true });
    expect(annealed.value.dataSync()[0]).toBeCloseTo(plain.value.dataSync()[0], 4);
    expect(annealed.iterations).toBeLessThan(plain.iterations);
  });
});
