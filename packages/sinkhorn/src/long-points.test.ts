import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerAllGradients, registerCpuKernels, registerWasmTrainingKernels } from '@siran/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from './internal/test-helpers.js';
import type { LogSumExpImplementation, SinkhornGradient } from './options.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

/*
 * Points longer than their count (d >= n + m), the minibatch regime of a GAN loss: the three costs are cut from one
 * Gram matrix of the stacked points, whose gradient is one product per point set. Checked against a float64
 * re-computation of the same iterations, with the gradient by central differences of it.
 */

beforeAll(async () => {
  await registerAllGradients();
  registerCpuKernels();
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

type Matrix = number[][];

function squaredDistances(x: Matrix, y: Matrix): Matrix {
  return x.map((p) => y.map((q) => p.reduce((sum, value, k) => sum + (value - q[k]) ** 2, 0)));
}

/** `LSE_j(h_j - C_ij / epsilon)` for every row `i`. */
function rowLogSumExp(cost: Matrix, h: number[], epsilon: number): number[] {
  return cost.map((row) => {
    const z = row.map((c, j) => h[j] - c / epsilon);
    const top = Math.max(...z);
    return top + Math.log(z.reduce((sum, value) => sum + Math.exp(value - top), 0));
  });
}

const transpose = (m: Matrix): Matrix => m[0].map((_, j) => m.map((row) => row[j]));
const dot = (u: number[], v: number[]) => u.reduce((sum, value, i) => sum + value * v[i], 0);

/**
 * The package's iterations in float64 on scaled potentials `psi = -f / epsilon`, uniform weights: alternating
 * updates for `W(x, y)`; for the self terms one plain update, then `psi <- (psi + LSE(log a - psi - C / eps)) / 2`.
 * Runs `iterations` rounds (for a large count, to convergence).
 */
function divergenceInFloat64(x: Matrix, y: Matrix, epsilon: number, iterations: number): number {
  const logWeights = (count: number) => new Array<number>(count).fill(-Math.log(count));
  const [logA, logB] = [logWeights(x.length), logWeights(y.length)];
  const cross = squaredDistances(x, y);
  const crossT = transpose(cross);
  const shift = (logW: number[], psi: number[]) => logW.map((value, i) => value - psi[i]);
  let [f, g] = [new Array<number>(x.length).fill(0), new Array<number>(y.length).fill(0)];
  for (let t = 0; t < iterations; t++) {
    f = rowLogSumExp(cross, shift(logB, g), epsilon);
    g = rowLogSumExp(crossT, shift(logA, f), epsilon);
  }
  const self = (points: Matrix, logW: number[]) => {
    const cost = squaredDistances(points, points);
    let psi = rowLogSumExp(cost, logW, epsilon);
    for (let t = 1; t < iterations; t++) {
      const next = rowLogSumExp(cost, shift(logW, psi), epsilon);
      psi = psi.map((value, i) => (value + next[i]) / 2);
    }
    return (
      2 *
      dot(
        logW.map(Math.exp),
        psi.map((value) => -epsilon * value),
      )
    );
  };
  const crossValue =
    dot(
      logA.map(Math.exp),
      f.map((value) => -epsilon * value),
    ) +
    dot(
      logB.map(Math.exp),
      g.map((value) => -epsilon * value),
    );
  return crossValue - self(x, logA) / 2 - self(y, logB) / 2;
}

/** Central differences of {@link divergenceInFloat64} in every coordinate of `x`. */
function gradientInFloat64(x: Matrix, y: Matrix, epsilon: number, iterations: number): number[] {
  const h = 1e-6;
  const gradient: number[] = [];
  for (let i = 0; i < x.length; i++) {
    for (let k = 0; k < x[0].length; k++) {
      const moved = (delta: number) =>
        x.map((row, r) => row.map((value, c) => (r === i && c === k ? value + delta : value)));
      gradient.push(
        (divergenceInFloat64(moved(h), y, epsilon, iterations) -
          divergenceInFloat64(moved(-h), y, epsilon, iterations)) /
          (2 * h),
      );
    }
  }
  return gradient;
}

/** Points in [0, 1) from a seeded generator (a linear congruential one, so the data do not depend on a backend). */
function points(count: number, dimension: number, seed: number, offset: number): Matrix {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: count }, () => Array.from({ length: dimension }, () => next() + offset));
}

const [n, m, d] = [5, 7, 24];
const epsilon = 1;
const xs = points(n, d, 11, 0);
const ys = points(m, d, 12, 0.2);
const CASES: [string, SinkhornGradient, number][] = [
  ['unrolled, 10 iterations', 'unrolled', 10],
  ['envelope at convergence', 'envelope', 300],
];
const expectations = new Map(
  CASES.map(([, , iterations]) => [
    iterations,
    {
      value: divergenceInFloat64(xs, ys, epsilon, iterations),
      gradient: gradientInFloat64(xs, ys, epsilon, iterations),
    },
  ]),
);

describe('sinkhornDivergence of points longer than their count (d >= n + m), against float64', () => {
  for (const backend of ['cpu', 'wasm']) {
    for (const logSumExp of ['ops', 'kernel'] as LogSumExpImplementation[]) {
      for (const [name, gradient, iterations] of CASES) {
        it(`${backend}, log-sum-exp ${logSumExp}, ${name}: value and gradient, batched too`, async () => {
          await tf.setBackend(backend);
          const expected = expectations.get(iterations) as { value: number; gradient: number[] };
          const x = tf.tensor2d(xs);
          const y = tf.tensor2d(ys);
          const options = { epsilon, relativeEpsilon: false, iterations, gradient, logSumExp };
          const before = tf.memory().numTensors;
          const [value, dx, batchedDx] = tf.tidy(() => {
            const { value, grads } = tf.valueAndGrads((p: tf.Tensor) => sinkhornDivergence(p, y, options))([
              x,
            ]);
            // the same problem twice in a batch
            const stack = (t: tf.Tensor) => tf.stack([t, t]);
            const batched = tf.grad((p: tf.Tensor) => tf.sum(sinkhornDivergence(p, stack(y), options)))(
              stack(x),
            );
            return [value, grads[0], batched].map((t) => Array.from(t.dataSync()));
          });
          expect(tf.memory().numTensors).toBe(before);
          tf.dispose([x, y]);
          expect(Math.abs(value[0] - expected.value) / Math.abs(expected.value)).toBeLessThan(1e-5);
          expect(relativeError(dx, expected.gradient)).toBeLessThan(1e-4);
          expect(relativeError(batchedDx, [...expected.gradient, ...expected.gradient])).toBeLessThan(1e-4);
        });
      }
    }
  }
});
