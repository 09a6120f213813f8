import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientLoss } from './gradient-loss.js';
import { pixelLoss, ssimLoss } from './losses.js';

/** Activates WebGPU through @siran/backend (any adapter, software ones too); false when none loads. */
async function installWebGpu(): Promise<boolean> {
  try {
    await activateBackend('webgpu', { ignoreEnvironment: true });
    return true;
  } catch {
    return false;
  }
}

let available = false;
beforeAll(async () => {
  available = await installWebGpu();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

async function lossAndGradient(
  backend: string,
  prediction: Float32Array,
  target: Float32Array,
  shape: number[],
) {
  await tf.setBackend(backend);
  const p = tf.tensor4d(prediction, shape as [number, number, number, number]);
  const t = tf.tensor4d(target, shape as [number, number, number, number]);
  const total = (x: tf.Tensor) =>
    tf.addN([
      ssimLoss(x as tf.Tensor4D, t),
      pixelLoss(x as tf.Tensor4D, t),
      gradientLoss(x as tf.Tensor4D, t),
    ]);
  const { value, grad } = tf.valueAndGrad(total)(p);
  const result = { value: (await value.data())[0], gradient: Array.from(await grad.data()) };
  tf.dispose([p, t, value, grad]);
  return result;
}

describe('losses on the WebGPU backend', () => {
  it('give the values and gradients of the cpu backend', async (context) => {
    if (!available) context.skip();
    const shape = [2, 32, 24, 3];
    const size = shape.reduce((a, b) => a * b, 1);
    const target = Float32Array.from(
      { length: size },
      (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011),
    );
    const prediction = Float32Array.from(target, (value, i) => value + 0.1 * Math.sin(i * 1.7));
    const onGpu = await lossAndGradient('webgpu', prediction, target, shape);
    const onCpu = await lossAndGradient('cpu', prediction, target, shape);
    expect(Math.abs(onGpu.value - onCpu.value)).toBeLessThan(1e-4 * Math.abs(onCpu.value));
    const scale = Math.max(...onCpu.gradient.map(Math.abs));
    let worst = 0;
    onGpu.gradient.forEach((value, i) => {
      worst = Math.max(worst, Math.abs(value - onCpu.gradient[i]));
    });
    expect(worst).toBeLessThan(1e-3 * scale);
  });
});
