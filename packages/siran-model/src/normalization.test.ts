import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  denormalizeElevation,
  type InputNormalization,
  normalizeElevation,
  normalizeInputs,
} from './normalization.js';

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
});

const guideStatistics = { guideMean: [0, 0, 0], guideStandardDeviation: [1, 1, 1] } as const;

/** Float64 moving-window mean of `values` (`size x size`) with zero padding counted out, as `avgPool` 'same'. */
function windowMean(values: Float64Array, size: number, window: number, row: number, column: number): number {
  const half = (window - 1) / 2;
  let sum = 0;
  let count = 0;
  for (let r = row - half; r <= row + half; r++) {
    for (let c = column - half; c <= column + half; c++) {
      if (r < 0 || c < 0 || r >= size || c >= size) continue;
      sum += values[r * size + c];
      count += 1;
    }
  }
  return sum / count;
}

describe('normalizeInputs', () => {
  const size = 9;
  const window = 5;
  // A ramp with a steep half and a flat half.
  const heights = Float64Array.from({ length: size * size }, (_, i) => {
    const column = i % size;
    return column < 4 ? 1000 + 50 * column + 3 * Math.sin(i) : 1200 + 0.2 * Math.cos(i);
  });
  const coarse = () => tf.tensor4d(Float32Array.from(heights), [1, size, size, 1]);
  const guide = () => tf.zeros([1, size, size, 3]) as tf.Tensor4D;

  it('"local" divides by the local standard deviation with the scale as floor, matching a float64 recomputation', async () => {
    const normalization: InputNormalization = {
      ...guideStatistics,
      elevationScale: 2,
      elevationScaling: 'local',
      offsetWindow: window,
    };
    const batch = normalizeInputs(coarse(), guide(), normalization);
    const [offset, scale, normalized] = await Promise.all([
      batch.offset.data(),
      batch.scale.data(),
      batch.coarse.data(),
    ]);
    const means = Float64Array.from({ length: size * size }, (_, i) =>
      windowMean(heights, size, window, Math.floor(i / size), i % size),
    );
    for (let i = 0; i < size * size; i++) {
      const row = Math.floor(i / size);
      const column = i % size;
      // Mean over the window of (h - m)^2, where m is each pixel's own moving mean, as the normalisation computes.
      const deviations = Float64Array.from(heights, (h, j) => (h - means[j]) ** 2);
      const expectedScale = Math.sqrt(windowMean(deviations, size, window, row, column) + 4);
      expect(offset[i]).toBeCloseTo(means[i], 2);
      expect(scale[i] / expectedScale).toBeCloseTo(1, 3);
      expect(normalized[i]).toBeCloseTo((heights[i] - means[i]) / expectedScale, 3);
    }
    // Steep pixels get a scale of tens of metres, flat ones the floor.
    expect(scale[2]).toBeGreaterThan(20);
    expect(scale[size - 1]).toBeLessThan(2.1);
    tf.dispose([batch.coarse, batch.guide, batch.offset, batch.scale]);
  });

  for (const elevationScaling of ['fixed', 'local'] as const) {
    it(`"${elevationScaling}": denormalizeElevation inverts normalizeElevation`, async () => {
      const normalization: InputNormalization = {
        ...guideStatistics,
        elevationScale: 10,
        elevationScaling,
        offsetWindow: window,
      };
      const batch = normalizeInputs(coarse(), guide(), normalization);
      const reference = tf.add(
        coarse(),
        tf.randomNormal([1, size, size, 1], 0, 5, 'float32', 1),
      ) as tf.Tensor4D;
      const back = denormalizeElevation(normalizeElevation(reference, batch), batch);
      const difference = tf.max(tf.abs(tf.sub(back, reference)));
      expect((await difference.data())[0]).toBeLessThan(1e-3);
      if (elevationScaling === 'fixed') expect(Array.from(await batch.scale.data())).toEqual([10]);
      tf.dispose([batch.coarse, batch.guide, batch.offset, batch.scale, reference, back, difference]);
    });
  }
});
