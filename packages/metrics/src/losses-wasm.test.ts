import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientLoss } from './gradient-loss.js';
import { pixelLoss, ssimLoss } from './losses.js';

/** Runs a loss and its gradient on a backend and returns both as plain arrays. */
function lossAndGradient(backend: string, prediction: Float32Array, target: Float32Array, shape: number[]) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const p = tf.tensor4d(prediction, shape as [number, number, number, number]);
    const t = tf.tensor4d(target, shape as [number, number, number, number]);
    const total = (x: tf.Tensor4D) =>
      tf.addN([ssimLoss(x, t), pixelLoss(x, t), gradientLoss(x, t, { target: 'slope' })]);
    const { value, grad } = tf.valueAndGrad((x) => total(x as tf.Tensor4D))(p);
    return { value: value.dataSync()[0], gradient: Array.from(grad.dataSync()) };
  });
}

describe('losses on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('give the same values and gradients as the cpu backend (no depthwise convolution needed)', () => {
    const shape = [2, 14, 13, 3];
    const size = shape.reduce((a, b) => a * b, 1);
    const target = Float32Array.from(
      { length: size },
      (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011),
    );
    const prediction = Float32Array.from(target, (value, i) => value + 0.1 * Math.sin(i * 1.7));
    const onWasm = lossAndGradient('wasm', prediction, target, shape);
    const onCpu = lossAndGradient('cpu', prediction, target, shape);
    expect(onWasm.value).toBeCloseTo(onCpu.value, 5);
    const scale = Math.max(...onCpu.gradient.map(Math.abs));
    onWasm.gradient.forEach((value, i) => {
      expect(Math.abs(value - onCpu.gradient[i])).toBeLessThan(1e-4 * scale);
    });
  });
});
