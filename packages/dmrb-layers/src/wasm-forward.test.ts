import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDmrbWeights, dmrb } from './dmrb.js';
import { createPolarizedSelfAttentionWeights, polarizedSelfAttention } from './polarized-self-attention.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

async function runOn(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const y = f();
  const values = (await y.data()) as Float32Array;
  y.dispose();
  return values;
}

function collectVariables(value: unknown): tf.Variable[] {
  if (value instanceof tf.Variable) return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(collectVariables);
}

describe('forward pass on the wasm backend', () => {
  it('matches the cpu backend for DMRB and both PSA layouts', async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([1, 12, 12, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dmrbWeights = createDmrbWeights(8, { seed: 2 });
    const psaWeights = createPolarizedSelfAttentionWeights(8, { seed: 3 });
    const forward = () => {
      const features = dmrb(x, dmrbWeights);
      const parallel = polarizedSelfAttention(features, psaWeights);
      const output = polarizedSelfAttention(parallel, psaWeights, { layout: 'sequential' });
      tf.dispose([features, parallel]);
      return output;
    };
    const onCpu = await runOn('cpu', forward);
    const onWasm = await runOn('wasm', forward);
    await tf.setBackend('cpu');
    tf.dispose([x, ...collectVariables(dmrbWeights), ...collectVariables(psaWeights)]);
    let worst = 0;
    let scale = 0;
    onCpu.forEach((value, index) => {
      worst = Math.max(worst, Math.abs(value - onWasm[index]));
      scale = Math.max(scale, Math.abs(value));
    });
    expect(worst / scale).toBeLessThan(1e-5);
  });
});
