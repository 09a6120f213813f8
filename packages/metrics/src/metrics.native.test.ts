import { activateBackend, backendParity } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GradientLossOptions, gradientLoss } from './gradient-loss.js';
import { pixelLoss, type SsimLossOptions, ssimLoss, ssimPerSample } from './losses.js';
import { mae, rmse } from './pixel-metrics.js';
import { ssim } from './ssim.js';

/**
 * The native lane: the differentiable losses (pixel, SSIM, terrain gradient) and their gradients with respect to the
 * prediction and the target, on native TensorFlow against the cpu backend; and the tensor SSIM and pixel loss on
 * tensorflow against the float64 host metrics (`ssim`, `rmse`, `mae`), which run on no backend at all.
 */

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
  await activateBackend('tensorflow', { ignoreEnvironment: true });
});

/** The largest relative error of all outputs of `compute` on tensorflow against cpu. */
async function worstRelativeError(compute: () => tf.Tensor[]): Promise<number> {
  const parity = await backendParity(compute, { backend: 'tensorflow' });
  expect(parity.length).toBeGreaterThan(0);
  return Math.max(...parity.map((output) => output.maxRelativeError));
}

/** A seeded target in `[0, 1)` and a prediction within 0.1 of it. */
function pair(shape: number[], seed: number): [tf.Tensor4D, tf.Tensor4D] {
  const target: tf.Tensor = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const prediction = tf.add(target, tf.randomUniform(shape, -0.1, 0.1, 'float32', seed + 1));
  return [prediction as tf.Tensor4D, target as tf.Tensor4D];
}

/** A loss's value and its gradients with respect to the prediction and the target. */
function lossAndGradients(
  loss: (p: tf.Tensor4D, t: tf.Tensor4D) => tf.Tensor,
  shape: number[],
  seed: number,
) {
  return (): tf.Tensor[] => {
    const [prediction, target] = pair(shape, seed);
    const scalar = (p: tf.Tensor, t: tf.Tensor) => tf.sum(loss(p as tf.Tensor4D, t as tf.Tensor4D));
    const [dPrediction, dTarget] = tf.grads(scalar)([prediction, target]);
    return [loss(prediction, target), dPrediction, dTarget];
  };
}

describe('losses on tensorflow against cpu', () => {
  it('pixelLoss: value and gradients', async () => {
    expect(await worstRelativeError(lossAndGradients(pixelLoss, [2, 8, 9, 1], 1))).toBeLessThan(1e-4);
  });

  const ssimCases: [string, SsimLossOptions, number[]][] = [
    ['defaults (sigma 1.5, 11 taps), 3 channels, batch of 2', {}, [2, 16, 14, 3]],
    [
      'sigma 1, data range 2, k1 0.02, one channel',
      { gaussianSigma: 1, dataRange: 2, k1: 0.02 },
      [1, 12, 13, 1],
    ],
  ];
  for (const [name, options, shape] of ssimCases) {
    it(`ssimLoss and ssimPerSample: values and gradients, ${name}`, async () => {
      expect(
        await worstRelativeError(lossAndGradients((p, t) => ssimLoss(p, t, options), shape, 2)),
      ).toBeLessThan(1e-4);
      expect(
        await worstRelativeError(lossAndGradients((p, t) => ssimPerSample(p, t, options), shape, 3)),
      ).toBeLessThan(1e-4);
    });
  }

  const gradientCases: [string, GradientLossOptions][] = [
    ["target 'gradient', unit cells", {}],
    ["target 'slope', cells [2, 3]", { target: 'slope', cellSize: [2, 3] }],
  ];
  for (const [name, options] of gradientCases) {
    it(`gradientLoss: value and gradients, ${name}`, async () => {
      expect(
        await worstRelativeError(lossAndGradients((p, t) => gradientLoss(p, t, options), [2, 9, 8, 2], 4)),
      ).toBeLessThan(1e-4);
    });
  }

  it('the weighted sum of the three, as the generator objective uses them: value and gradients', async () => {
    const total = (p: tf.Tensor4D, t: tf.Tensor4D) =>
      tf.addN([tf.mul(100, pixelLoss(p, t)), ssimLoss(p, t), gradientLoss(p, t, { cellSize: 0.5 })]);
    expect(await worstRelativeError(lossAndGradients(total, [2, 16, 16, 1], 5))).toBeLessThan(1e-4);
  });
});

describe('tensor losses on tensorflow against the float64 host metrics', () => {
  it('ssimPerSample equals ssim, and sqrt(pixelLoss) and mean |error| equal rmse and mae, per image', async () => {
    await tf.setBackend('tensorflow');
    const [batch, rows, columns] = [2, 17, 15];
    const tensors = tf.tidy(() => {
      const [prediction, target] = pair([batch, rows, columns, 1], 6);
      const image = (data: tf.Tensor4D, b: number) =>
        tf.slice(data, [b, 0, 0, 0], [1, rows, columns, 1]) as tf.Tensor4D;
      const perImage = Array.from({ length: batch }, (_, b) => [
        pixelLoss(image(prediction, b), image(target, b)),
        tf.mean(tf.abs(tf.sub(image(prediction, b), image(target, b)))),
      ]).flat();
      return [prediction, target, ssimPerSample(prediction, target, { dataRange: 1 }), ...perImage];
    });
    const [predicted, expected, perSample, ...perImage] = await Promise.all(tensors.map((t) => t.data()));
    tf.dispose(tensors);
    for (let b = 0; b < batch; b++) {
      const grid = (data: ArrayLike<number>) =>
        ndarray(
          Float64Array.from({ length: rows * columns }, (_, i) => data[b * rows * columns + i]),
          [rows, columns],
        );
      const [p, t] = [grid(predicted), grid(expected)];
      const [pixel, absolute] = [perImage[2 * b][0], perImage[2 * b + 1][0]];
      expect(Math.abs(perSample[b] - ssim(p, t, { dataRange: 1 }))).toBeLessThan(1e-5);
      expect(Math.abs(Math.sqrt(pixel) - rmse(p, t)) / rmse(p, t)).toBeLessThan(1e-5);
      expect(Math.abs(absolute - mae(p, t)) / mae(p, t)).toBeLessThan(1e-5);
    }
  });
});
