import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { attentionMaps, combinedAttention, normalizePerSample } from './spatial-attention.js';

describe('spatial attention', () => {
  it('normalises each sample to [0, 1] and sums absolute activations over channels', () => {
    const before = tf.memory().numTensors;
    // Sample 0: |a| summed over 2 channels = [1, 3, 5, 3]; sample 1: [2, 2, 2, 4].
    const a = tf.tensor4d([1, 0, -1, 2, 5, 0, 0, -3, 1, 1, 2, 0, 0, 2, 4, 0], [2, 2, 2, 2]);
    const maps = attentionMaps([a, tf.mul(a, 2) as tf.Tensor4D]);
    expect(maps.shape).toEqual([2, 2, 2, 2]);
    const expected = [0, 0.5, 1, 0.5, 0, 0, 0, 1];
    const values = Array.from(maps.dataSync());
    expected.forEach((v, i) => {
      expect(values[2 * i]).toBeCloseTo(v, 5);
      expect(values[2 * i + 1]).toBeCloseTo(v, 5);
    });
    const combined = combinedAttention(maps);
    Array.from(combined.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 5);
    });
    expect(Array.from(normalizePerSample(tf.tensor4d([1, 3], [1, 1, 2, 1])).dataSync())[1]).toBeCloseTo(1, 5);
    tf.dispose([a, maps, combined]);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before);
  });
});
