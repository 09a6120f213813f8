import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDmrbWeights, dmrb } from './dmrb.js';
import { createPolarizedSelfAttentionWeights, polarizedSelfAttention } from './polarized-self-attention.js';

/** The application edge's backend package, loaded by name so this library keeps no dependency on it. */
const BACKEND_PACKAGE = '@siran/backend';

let registered = false;
beforeAll(async () => {
  try {
    const backend = (await import(/* @vite-ignore */ BACKEND_PACKAGE)) as {
      registerWasmTrainingKernels?: () => unknown;
    };
    backend.registerWasmTrainingKernels?.();
    registered = tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
  } catch {
    registered = false;
  }
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

function collectVariables(value: unknown): tf.Variable[] {
  if (value instanceof tf.Variable) return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(collectVariables);
}

describe('training on the wasm backend (with the training kernels of the backend package)', () => {
  it('gives the cpu backend loss and gradients for a DMRB + PSA stack', async (context) => {
    if (!registered) context.skip();
    await tf.setBackend('cpu');
    const x = tf.randomNormal([2, 10, 10, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dmrbWeights = createDmrbWeights(6, { seed: 2, spectralNormalization: true });
    const psaWeights = createPolarizedSelfAttentionWeights(6, { seed: 3 });
    const variables = [...collectVariables(dmrbWeights), ...collectVariables(psaWeights)].filter(
      (v) => v.trainable,
    );
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const { value, grads } = tf.variableGrads(() => {
        const features = dmrb(x, dmrbWeights);
        return tf.mean(tf.square(polarizedSelfAttention(features, psaWeights))) as tf.Scalar;
      }, variables);
      const result = [await value.data(), ...(await Promise.all(variables.map((v) => grads[v.name].data())))];
      tf.dispose([value, ...Object.values(grads)]);
      return result;
    };
    const onCpu = await run('cpu');
    const onWasm = await run('wasm');
    onCpu.forEach((expected, index) => {
      const scale = Math.max(...Array.from(expected, Math.abs));
      const worst = Math.max(...Array.from(expected, (v, i) => Math.abs(v - onWasm[index][i])));
      expect(worst / scale, `tensor ${index}`).toBeLessThan(1e-4);
    });
    await tf.setBackend('cpu');
    tf.dispose([x, ...collectVariables(dmrbWeights), ...collectVariables(psaWeights)]);
  });
});
