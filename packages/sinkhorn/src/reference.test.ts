import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { readFileSync } from 'node:fs';
import { registerCpuKernels } from '@siran/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from './internal/test-helpers.js';
import type { LogSumExpImplementation } from './options.js';
import { sinkhornDistance } from './sinkhorn-distance.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

interface ReferenceCase {
  id: string;
  n: number;
  m: number;
  d: number;
  eps: number;
  x: number[][];
  y: number[][];
  converged: Record<string, number | number[][]>;
  unrolled_T10: Record<string, number | number[][]>;
}

const reference = JSON.parse(
  readFileSync(new URL('../test/fixtures/sinkhorn-reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };
const smallCases = reference.cases.filter((c) => c.n <= 64);

beforeAll(async () => {
  // The fused log-sum-exp kernels of @siran/backend, so that both implementations are checked.
  registerCpuKernels();
  await tf.setBackend('cpu');
});

function divergenceAndGradient(c: ReferenceCase, options: Parameters<typeof sinkhornDivergence>[2]) {
  const x = tf.tensor2d(c.x);
  const y = tf.tensor2d(c.y);
  const { value, grads } = tf.valueAndGrads((points: tf.Tensor) => sinkhornDivergence(points, y, options))([
    x,
  ]);
  const result = { value: value.dataSync()[0], gradient: grads[0].dataSync() };
  tf.dispose([x, y, value, ...grads]);
  return result;
}

for (const logSumExp of ['ops', 'kernel'] as LogSumExpImplementation[]) {
  const converged = { relativeEpsilon: false, iterations: 500, tolerance: 1e-6, logSumExp } as const;

  describe(`sinkhornDivergence against the float64 reference fixture (converged, log-sum-exp ${logSumExp})`, () => {
    for (const c of smallCases) {
      for (const [readout, mode] of [
        ['dual', 'unrolled'],
        ['dual', 'envelope'],
        ['sharp', 'unrolled'],
      ] as const) {
        it(`${c.id}, ${readout} readout, ${mode} gradient, value and gradient within 1e-4`, () => {
          const key = readout === 'dual' ? 'S_dual' : 'S_sharp';
          const { value, gradient } = divergenceAndGradient(c, {
            ...converged,
            epsilon: c.eps,
            readout,
            gradient: mode,
          });
          const expected = c.converged[key] as number;
          const expectedGradient = (c.converged[`grad_x_${key}`] as number[][]).flat();
          if (c.id.endsWith('identical')) {
            // S(x, x) is exactly 0; its gradient is 0 up to the float32 noise of the iterations, measured
            // against the size of the gradient of the cross term alone.
            expect(value).toBe(0);
            const x = tf.tensor2d(c.x);
            const crossGradient = tf.grad((points: tf.Tensor) =>
              sinkhornDistance(points, x, { ...converged, epsilon: c.eps, readout }),
            )(x);
            const scale = tf.max(tf.abs(crossGradient)).dataSync()[0];
            tf.dispose([x, crossGradient]);
            for (const g of gradient) expect(Math.abs(g)).toBeLessThan(1e-4 * scale);
            return;
          }
          expect(Math.abs(value - expected) / expected).toBeLessThan(1e-4);
          expect(relativeError(gradient, expectedGradient)).toBeLessThan(1e-4);
        });
      }
    }

    it('blockwise (small blocks) and envelope gradient match the fixture too', () => {
      const c = smallCases.find((item) => item.id === 'n64_m64_d3_eps0.1')!;
      for (const gradient of ['unrolled', 'envelope'] as const) {
        const result = divergenceAndGradient(c, {
          ...converged,
          epsilon: c.eps,
          strategy: 'blockwise',
          blockSize: 24,
          gradient,
        });
        expect(
          Math.abs(result.value - (c.converged.S_dual as number)) / (c.converged.S_dual as number),
        ).toBeLessThan(1e-4);
        expect(relativeError(result.gradient, (c.converged.grad_x_S_dual as number[][]).flat())).toBeLessThan(
          1e-4,
        );
      }
    });

    it('sinkhornDistance returns the biased W in both readouts', () => {
      const c = smallCases.find((item) => item.id === 'n64_m8_d16_eps1')!;
      const x = tf.tensor2d(c.x);
      const y = tf.tensor2d(c.y);
      for (const readout of ['dual', 'sharp'] as const) {
        const w = sinkhornDistance(x, y, { ...converged, epsilon: c.eps, readout });
        const expected = c.converged[readout === 'dual' ? 'W_dual_xy' : 'W_sharp_xy'] as number;
        expect(Math.abs(w.dataSync()[0] - expected) / expected).toBeLessThan(1e-4);
        w.dispose();
      }
      tf.dispose([x, y]);
    });
  });

  describe(`sinkhornDivergence against the fixture recipe unrolled for T = 10 (log-sum-exp ${logSumExp})`, () => {
    for (const c of smallCases.filter((item) => !item.id.endsWith('identical'))) {
      it(`${c.id}: alternating updates, autodiff through 10 iterations`, () => {
        for (const readout of ['dual', 'sharp'] as const) {
          const key = readout === 'dual' ? 'S_dual' : 'S_sharp';
          const { value, gradient } = divergenceAndGradient(c, {
            epsilon: c.eps,
            relativeEpsilon: false,
            iterations: 10,
            selfTermUpdate: 'alternating',
            readout,
            logSumExp,
          });
          const expected = c.unrolled_T10[key] as number;
          expect(Math.abs(value - expected) / expected).toBeLessThan(1e-4);
          expect(
            relativeError(gradient, (c.unrolled_T10[`grad_x_${key}`] as number[][]).flat()),
          ).toBeLessThan(1e-4);
        }
      });
    }
  });
}
