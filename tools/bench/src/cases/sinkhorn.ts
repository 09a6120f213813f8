import { type SinkhornGradient, sinkhornDivergence } from '@siran/sinkhorn';
import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.js';

/**
 * Untimed runs before measuring the two smaller sizes, on both sides (`python/sinkhorn.py` does the same): a loss is
 * called at every training step, so the steady state is what matters, and one run leaves JavaScript unoptimised.
 */
export const SINKHORN_WARMUP = 10;

/** Problem sizes of the suite: `n = m` points of dimension `d`. */
export const SINKHORN_SIZES = [
  { n: 16, d: 16384 },
  { n: 1024, d: 16 },
  { n: 4096, d: 16 },
] as const;

interface SinkhornContext {
  readonly x: tf.Tensor2D;
  readonly y: tf.Tensor2D;
}

function setupFor(n: number, d: number): () => SinkhornContext {
  return () => ({
    x: tf.randomUniform([n, d], 0, 1, 'float32', n * 31 + d) as tf.Tensor2D,
    y: tf.add(tf.randomUniform([n, d], 0, 1, 'float32', n * 37 + d), 0.25) as tf.Tensor2D,
  });
}

/**
 * Debiased Sinkhorn divergence, forward + backward (gradients for `x` and `y`), `epsilon = 0.1` absolute, no input checks,
 * 10 iterations, uniform weights, for both gradient modes.
 *
 * @param backend - Name of the active backend, used in the case names.
 * @returns Cases named `sinkhorn/<gradient>/n<n>-d<d>/<backend>`; `envelope` is the GeomLoss-style gradient.
 */
export function createCases(backend: string): BenchCase<SinkhornContext>[] {
  const cases: BenchCase<SinkhornContext>[] = [];
  for (const { n, d } of SINKHORN_SIZES) {
    for (const gradient of ['envelope', 'unrolled'] as SinkhornGradient[]) {
      // No input checks, as in GeomLoss; this also keeps every backend free of synchronous reads.
      const options = {
        epsilon: 0.1,
        relativeEpsilon: false,
        iterations: 10,
        gradient,
        validateInputs: false,
      };
      const gradients = tf.grads((x: tf.Tensor, y: tf.Tensor) => sinkhornDivergence(x, y, options));
      cases.push({
        name: `sinkhorn/${gradient === 'envelope' ? 'geomloss-tensorized' : 'unrolled'}/n${n}-d${d}/${backend}`,
        params: { backend, n, d, gradient },
        warmup: n <= 1024 ? SINKHORN_WARMUP : 1,
        setup: setupFor(n, d),
        teardown: ({ x, y }) => tf.dispose([x, y]),
        async run({ x, y }) {
          const [dx, dy] = gradients([x, y]);
          await Promise.all([dx.data(), dy.data()]);
          tf.dispose([dx, dy]);
        },
      });
    }
  }
  return cases;
}
