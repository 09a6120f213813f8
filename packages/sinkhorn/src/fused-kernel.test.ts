import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerAllGradients, registerWasmTrainingKernels } from '@siran/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropicTransport } from './entropic-transport.js';
import { relativeError } from './internal/test-helpers.js';
import type { SinkhornOptions } from './options.js';
import { sinkhornDivergence } from './sinkhorn-divergence.js';

beforeAll(async () => {
  await registerAllGradients();
  registerWasmTrainingKernels();
});

/** The divergence and its gradients for the points and the weights, as plain arrays. */
function divergenceAndGradients(options: SinkhornOptions) {
  return tf.tidy(() => {
    // Batch of 2, sizes that are not whole SIMD vectors, non-uniform weights.
    const x = tf.randomUniform([2, 41, 5], 0, 1, 'float32', 1);
    const y = tf.add(tf.randomUniform([2, 37, 5], 0, 1, 'float32', 2), 0.3);
    const a = tf.softmax(tf.randomNormal([2, 41], 0, 0.5, 'float32', 3));
    const b = tf.softmax(tf.randomNormal([2, 37], 0, 0.5, 'float32', 4));
    const { value, grads } = tf.valueAndGrads((px: tf.Tensor, py: tf.Tensor, pa: tf.Tensor, pb: tf.Tensor) =>
      tf.sum(sinkhornDivergence(px, py, { ...options, a: pa, b: pb })),
    )([x, y, a, b]);
    return [value, ...grads].map((tensor) => Array.from(tensor.dataSync()));
  });
}

const base = { epsilon: 0.05, relativeEpsilon: false, iterations: 10, validateInputs: false } as const;
const VARIANTS: [string, SinkhornOptions][] = [
  ['dense, unrolled', {}],
  ['dense, envelope', { gradient: 'envelope' }],
  ['dense, sharp readout', { readout: 'sharp' }],
  ['dense, alternating self terms', { selfTermUpdate: 'alternating' }],
  ['blockwise, unrolled', { strategy: 'blockwise', blockSize: 16 }],
  ['blockwise, envelope', { strategy: 'blockwise', blockSize: 16, gradient: 'envelope' }],
  ['blockwise, sharp readout', { strategy: 'blockwise', blockSize: 16, readout: 'sharp' }],
];

describe('the fused log-sum-exp kernels on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  for (const [name, variant] of VARIANTS) {
    it(`give the same divergence and gradients as tfjs-core ops: ${name}`, () => {
      const before = tf.memory().numTensors;
      const ops = divergenceAndGradients({ ...base, ...variant, logSumExp: 'ops' });
      const fused = divergenceAndGradients({ ...base, ...variant, logSumExp: 'kernel' });
      expect(relativeError(fused[0], ops[0])).toBeLessThan(2e-5);
      // gradients for x, y, a and b
      for (let input = 1; input <= 4; input++) {
        expect(relativeError(fused[input], ops[input]), `input ${input}`).toBeLessThan(2e-4);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('give the same plan and potentials through entropicTransport', () => {
    const x = tf.randomUniform([30, 3], 0, 1, 'float32', 5);
    const y = tf.randomUniform([27, 3], 0, 1, 'float32', 6);
    const ops = entropicTransport(x, y, { ...base, logSumExp: 'ops' });
    const fused = entropicTransport(x, y, { ...base, logSumExp: 'kernel' });
    expect(relativeError(fused.plan.dataSync(), ops.plan.dataSync())).toBeLessThan(2e-5);
    expect(relativeError(fused.rowPotential.dataSync(), ops.rowPotential.dataSync())).toBeLessThan(2e-5);
    expect(relativeError(fused.columnPotential.dataSync(), ops.columnPotential.dataSync())).toBeLessThan(
      2e-5,
    );
    expect(relativeError(fused.value.dataSync(), ops.value.dataSync())).toBeLessThan(2e-5);
    for (const result of [ops, fused]) {
      tf.dispose([result.plan, result.rowPotential, result.columnPotential, result.value]);
    }
    tf.dispose([x, y]);
  });

  it("is what 'auto' picks when the backend has the kernels", () => {
    const auto = divergenceAndGradients({ ...base });
    const fused = divergenceAndGradients({ ...base, logSumExp: 'kernel' });
    expect(auto).toEqual(fused);
  });
});

describe('logSumExp without the kernels', () => {
  it("names the missing kernel and the remedy for 'kernel', and falls back to ops for 'auto'", async () => {
    await tf.setBackend('cpu');
    const x = tf.ones([4, 2]);
    expect(() => sinkhornDivergence(x, x, { logSumExp: 'kernel' })).toThrow(
      /sinkhornDivergence: logSumExp 'kernel' needs the SiranScaledLogSumExp kernels, but the "cpu" backend has none; activateBackend from @siran\/backend registers them for wasm and cpu, or use logSumExp 'ops'/,
    );
    expect(() => sinkhornDivergence(x, x, { logSumExp: 'fused' as never })).toThrow(
      /logSumExp is fused; expected one of auto, ops, kernel/,
    );
    expect(sinkhornDivergence(x, x).dataSync()[0]).toBe(0);
    x.dispose();
  });
});
