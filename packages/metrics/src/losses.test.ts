import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import ndarray from 'ndarray';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientLoss } from './gradient-loss.js';
import { pixelLoss, ssimLoss, ssimPerSample } from './losses.js';
import { ssim } from './ssim.js';
import { slope } from './terrain-derivatives.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Seeded uniform random numbers in [0, 1) (mulberry32). */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const shape: [number, number, number, number] = [2, 16, 16, 2];
const size = shape.reduce((a, b) => a * b, 1);
/** A smooth field plus noise, in [0, 1]-ish, NHWC order. */
function field(seed: number, base?: Float64Array, noise = 0.08): Float64Array {
  const next = random(seed);
  const [batch, height, width, channels] = shape;
  const values = new Float64Array(size);
  let index = 0;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < height; h++)
      for (let w = 0; w < width; w++)
        for (let c = 0; c < channels; c++, index++) {
          const smooth = 0.5 + 0.3 * Math.sin(0.3 * h + 0.7 * c + b) * Math.cos(0.25 * w - 0.4 * b);
          values[index] = (base ? base[index] : smooth) + noise * (next() - 0.5);
        }
  return values;
}
const target = field(1);
const prediction = field(2, target, 0.3);

/** One channel of one sample as a float64 [height, width] ndarray. */
function slice(values: Float64Array, b: number, c: number) {
  const [, height, width, channels] = shape;
  const out = new Float64Array(height * width);
  for (let h = 0; h < height; h++)
    for (let w = 0; w < width; w++)
      out[h * width + w] = values[((b * height + h) * width + w) * channels + c];
  return ndarray(out, [height, width]);
}

/** Float64 SSIM loss from the numeric implementation: -mean_b log(mean_c ssim). */
function ssimLoss64(x: Float64Array, y: Float64Array): number {
  let total = 0;
  for (let b = 0; b < shape[0]; b++) {
    let perSample = 0;
    for (let c = 0; c < shape[3]; c++) perSample += ssim(slice(x, b, c), slice(y, b, c), { dataRange: 1 });
    total += -Math.log(perSample / shape[3]);
  }
  return total / shape[0];
}

/** Float64 gradient loss from the numeric Horn slope (percent / 100 = rise over run) or from p, q loops. */
function gradientLoss64(
  x: Float64Array,
  y: Float64Array,
  target: 'gradient' | 'slope',
  cell: number,
): number {
  let total = 0;
  let count = 0;
  for (let b = 0; b < shape[0]; b++)
    for (let c = 0; c < shape[3]; c++) {
      const a = slice(x, b, c);
      const e = slice(y, b, c);
      if (target === 'slope') {
        const sa = slope(a, { cellSize: cell, units: 'percent' }).data;
        const se = slope(e, { cellSize: cell, units: 'percent' }).data;
        for (let i = 0; i < sa.length; i++) {
          if (Number.isNaN(sa[i])) continue;
          total += ((sa[i] - se[i]) / 100) ** 2;
          count++;
        }
      } else {
        for (let h = 1; h < shape[1] - 1; h++)
          for (let w = 1; w < shape[2] - 1; w++) {
            const d = (g: ndarray.NdArray<Float64Array>, dh: number, dw: number) => g.get(h + dh, w + dw);
            const p = (g: ndarray.NdArray<Float64Array>) =>
              (d(g, -1, 1) + 2 * d(g, 0, 1) + d(g, 1, 1) - d(g, -1, -1) - 2 * d(g, 0, -1) - d(g, 1, -1)) /
              (8 * cell);
            const q = (g: ndarray.NdArray<Float64Array>) =>
              (d(g, -1, -1) + 2 * d(g, -1, 0) + d(g, -1, 1) - d(g, 1, -1) - 2 * d(g, 1, 0) - d(g, 1, 1)) /
              (8 * cell);
            total += ((p(a) - p(e)) ** 2 + (q(a) - q(e)) ** 2) / 2;
            count++;
          }
      }
    }
  return total / count;
}

/** Checks tf's gradient against float64 central differences at a few seeded positions. */
function checkGradient(lossTensor: (p: tf.Tensor4D) => tf.Scalar, loss64: (x: Float64Array) => number) {
  const input = tf.tensor4d(Float32Array.from(prediction), shape);
  const gradient = tf.grad((x) => lossTensor(x as tf.Tensor4D))(input);
  const analytic = gradient.dataSync();
  tf.dispose([input, gradient]);
  const next = random(99);
  const step = 1e-5;
  const scale = Math.max(...Array.from(analytic, Math.abs));
  for (let trial = 0; trial < 12; trial++) {
    const index = Math.floor(next() * size);
    const plus = Float64Array.from(prediction);
    const minus = Float64Array.from(prediction);
    plus[index] += step;
    minus[index] -= step;
    const numeric = (loss64(plus) - loss64(minus)) / (2 * step);
    expect(Math.abs(analytic[index] - numeric)).toBeLessThan(2e-3 * scale);
  }
}

describe('pixelLoss', () => {
  it('is the mean squared error with gradient 2 (p - t) / n', () => {
    const p = tf.tensor4d(Float32Array.from(prediction), shape);
    const t = tf.tensor4d(Float32Array.from(target), shape);
    let expected = 0;
    for (let i = 0; i < size; i++) expected += (prediction[i] - target[i]) ** 2 / size;
    const loss = pixelLoss(p, t);
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 6);
    const gradient = tf
      .grad((x) => pixelLoss(x as tf.Tensor4D, t))(p)
      .dataSync();
    expect(gradient[5]).toBeCloseTo((2 * (prediction[5] - target[5])) / size, 8);
    tf.dispose([p, t, loss]);
  });
});

describe('ssimLoss', () => {
  it('matches the float64 numeric SSIM (scikit-image compatible) per sample', () => {
    const p = tf.tensor4d(Float32Array.from(prediction), shape);
    const t = tf.tensor4d(Float32Array.from(target), shape);
    const perSample = ssimPerSample(p, t).dataSync();
    for (let b = 0; b < shape[0]; b++) {
      const expected =
        (ssim(slice(prediction, b, 0), slice(target, b, 0), { dataRange: 1 }) +
          ssim(slice(prediction, b, 1), slice(target, b, 1), { dataRange: 1 })) /
        2;
      expect(Math.abs(perSample[b] - expected)).toBeLessThan(1e-5);
    }
    expect(ssimLoss(p, t).dataSync()[0]).toBeCloseTo(ssimLoss64(prediction, target), 5);
    expect(ssimLoss(t, t).dataSync()[0]).toBeCloseTo(0, 5);
    tf.dispose([p, t]);
  });

  it('has gradients equal to float64 finite differences', () => {
    const t = tf.tensor4d(Float32Array.from(target), shape);
    checkGradient(
      (p) => ssimLoss(p, t),
      (x) => ssimLoss64(x, target),
    );
    t.dispose();
  });

  it('leaves no tensors behind and validates shapes', () => {
    const p = tf.tensor4d(Float32Array.from(prediction), shape);
    const t = tf.tensor4d(Float32Array.from(target), shape);
    const before = tf.memory().numTensors;
    const losses = [ssimLoss(p, t), pixelLoss(p, t), gradientLoss(p, t)];
    const perSample = ssimPerSample(p, t);
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose([...losses, perSample]);
    expect(tf.memory().numTensors).toBe(before);
    const small = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => ssimLoss(small, small)).toThrow(
      /ssimPerSample: images \[8, 8\] are smaller than the 11x11 window/,
    );
    expect(() => pixelLoss(p, small)).toThrow(/pixelLoss: prediction shape/);
    tf.dispose([p, t, small]);
  });
});

describe('gradientLoss', () => {
  for (const target64 of ['gradient', 'slope'] as const) {
    it(`(${target64}) matches a float64 recomputation and its finite differences`, () => {
      const cell = 0.5;
      const p = tf.tensor4d(Float32Array.from(prediction), shape);
      const t = tf.tensor4d(Float32Array.from(target), shape);
      const value = gradientLoss(p, t, { cellSize: cell, target: target64 }).dataSync()[0];
      expect(value).toBeCloseTo(gradientLoss64(prediction, target, target64, cell), 5);
      checkGradient(
        (x) => gradientLoss(x, t, { cellSize: cell, target: target64 }),
        (x) => gradientLoss64(x, target, target64, cell),
      );
      expect(gradientLoss(t, t).dataSync()[0]).toBe(0);
      tf.dispose([p, t]);
    });
  }
});
