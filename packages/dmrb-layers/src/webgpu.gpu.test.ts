import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDmrbWeights, type DmrbWeights, dmrb } from './dmrb.js';
import {
  createPolarizedSelfAttentionWeights,
  type PolarizedSelfAttentionWeights,
  polarizedSelfAttention,
} from './polarized-self-attention.js';

/** Activates WebGPU through @siran/backend (any adapter, software ones too); false when none loads. */
async function installWebGpu(): Promise<boolean> {
  try {
    await activateBackend('webgpu', { ignoreEnvironment: true });
    return true;
  } catch {
    return false;
  }
}

function collectVariables(value: unknown): tf.Variable[] {
  if (value instanceof tf.Variable) return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(collectVariables);
}

let available = false;
beforeAll(async () => {
  available = await installWebGpu();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Output and every weight gradient of a small DMRB -> PSA (sequential) stack on the given backend. */
async function forwardAndGradients(
  backend: string,
  x: tf.Tensor4D,
  dmrbWeights: DmrbWeights<tf.Variable>,
  psaWeights: PolarizedSelfAttentionWeights<tf.Variable>,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const variables = [...collectVariables(dmrbWeights), ...collectVariables(psaWeights)];
  const { value, grads } = tf.variableGrads(() => {
    const features = dmrb(x, dmrbWeights);
    return tf.mean(
      tf.square(polarizedSelfAttention(features, psaWeights, { layout: 'sequential' })),
    ) as tf.Scalar;
  }, variables);
  const output = [(await value.data()) as Float32Array];
  for (const variable of variables) output.push((await grads[variable.name].data()) as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return output;
}

describe('webgpu backend', () => {
  it('matches the cpu backend in the loss and every gradient of a DMRB + PSA stack', async (context) => {
    if (!available) context.skip();
    await tf.setBackend('cpu');
    const x = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dmrbWeights = createDmrbWeights(4, { seed: 2, blockCount: 2 });
    const psaWeights = createPolarizedSelfAttentionWeights(4, { seed: 3 });
    const onCpu = await forwardAndGradients('cpu', x, dmrbWeights, psaWeights);
    const onGpu = await forwardAndGradients('webgpu', x, dmrbWeights, psaWeights);
    onCpu.forEach((expected, index) => {
      const scale = Math.max(...expected.map(Math.abs));
      const worst = Math.max(...expected.map((v, i) => Math.abs(v - onGpu[index][i])));
      expect(worst / scale, `tensor ${index}`).toBeLessThan(1e-4);
    });
    await tf.setBackend('cpu');
    tf.dispose([x, ...collectVariables(dmrbWeights), ...collectVariables(psaWeights)]);
  });
});
