import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionLoss, gradientPenalty, reconstructionLoss } from './losses.js';

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
});

describe('losses', () => {
  it('give the closed-form gradient penalty of a linear critic', () => {
    // D(x) = sum(w * x) has gradient w everywhere: the penalty is (||w|| - 1)^2 whatever the interpolates.
    const w = tf.tensor4d([0.5, -1, 2, 0.25], [1, 2, 2, 1]);
    const score = (x: tf.Tensor4D) => tf.sum(tf.mul(x, w), [1, 2, 3]);
    const real = tf.randomUniform([3, 2, 2, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const fake = tf.randomUniform([3, 2, 2, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const mix = tf.tensor4d([0, 0.4, 1], [3, 1, 1, 1]);
    const before = tf.memory().numTensors;
    const penalty = gradientPenalty(score, real, fake, mix);
    expect(tf.memory().numTensors).toBe(before + 1);
    const norm = Math.sqrt(0.25 + 1 + 4 + 0.0625);
    expect(penalty.dataSync()[0]).toBeCloseTo((norm - 1) ** 2, 5);
    // d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    const weights = tf.variable(w);
    const { grads } = tf.variableGrads(
      () => gradientPenalty((x) => tf.sum(tf.mul(x, weights), [1, 2, 3]), real, fake, mix),
      [weights],
    );
    const expected = Array.from(w.dataSync(), (v) => (2 * (norm - 1) * v) / norm);
    Array.from(grads[weights.name].dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 4);
    });
  });

  it('give closed forms for the attention and reconstruction losses', () => {
    const a = tf.tensor4d([0, 1, 0.5, 0.5], [1, 2, 2, 1]);
    const b = tf.tensor4d([1, 1, 0, 0.5], [1, 2, 2, 1]);
    expect(attentionLoss(a, b).dataSync()[0]).toBeCloseTo((1 + 0.25) / 4, 6);
    expect(reconstructionLoss(a, b).dataSync()[0]).toBeCloseTo((1 + 0.5) / 4, 6);
  });
});
