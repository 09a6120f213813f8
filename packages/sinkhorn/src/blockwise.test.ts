import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { sinkhornDistance } from './sinkhorn-distance.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Float64 alternating log-domain Sinkhorn (uniform weights) and the envelope gradient `2 (a_i x_i - (P y)_i)`. */
function float64Sinkhorn(
  x: Float64Array,
  y: Float64Array,
  n: number,
  m: number,
  d: number,
  eps: number,
  iterations: number,
) {
  const cost = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (x[i * d + k] - y[j * d + k]) ** 2;
      cost[i * m + j] = s;
    }
  }
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  const softmin = (
    out: Float64Array,
    other: Float64Array,
    count: number,
    otherCount: number,
    rowMajor: boolean,
  ) => {
    const logWeight = -Math.log(otherCount);
    const z = new Float64Array(otherCount);
    for (let i = 0; i < count; i++) {
      let peak = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < otherCount; j++) {
        const c = rowMajor ? cost[i * m + j] : cost[j * m + i];
        z[j] = logWeight + (other[j] - c) / eps;
        peak = Math.max(peak, z[j]);
      }
      let total = 0;
      for (let j = 0; j < otherCount; j++) total += Math.exp(z[j] - peak);
      out[i] = -eps * (peak + Math.log(total));
    }
  };
  for (let t = 0; t < iterations; t++) {
    softmin(f, g, n, m, true);
    softmin(g, f, m, n, false);
  }
  let value = 0;
  for (let i = 0; i < n; i++) value += f[i] / n;
  for (let j = 0; j < m; j++) value += g[j] / m;
  const gradient = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const p = Math.exp((f[i] + g[j] - cost[i * m + j]) / eps) / (n * m);
      for (let k = 0; k < d; k++) gradient[i * d + k] += 2 * p * (x[i * d + k] - y[j * d + k]);
    }
  }
  return { value, gradient };
}

describe('blockwise regime at n = 2000, m = 400 (memory linear in n + m)', () => {
  it('matches a float64 recomputation in value and envelope gradient, with small blocks', () => {
    const [n, m, d, eps, iterations] = [2000, 400, 2, 0.05, 4];
    const x = tf.randomUniform([n, d], 0, 1, 'float32', 31) as tf.Tensor2D;
    const y = tf.add(tf.randomUniform([m, d], 0, 1, 'float32', 32), 0.2) as tf.Tensor2D;
    const expected = float64Sinkhorn(
      Float64Array.from(x.dataSync()),
      Float64Array.from(y.dataSync()),
      n,
      m,
      d,
      eps,
      iterations,
    );
    const options = {
      epsilon: eps,
      relativeEpsilon: false,
      iterations,
      strategy: 'blockwise',
      blockSize: 150,
      gradient: 'envelope',
    } as const;
    const before = tf.memory().numTensors;
    const { value, grads } = tf.valueAndGrads((points: tf.Tensor) => sinkhornDistance(points, y, options))([
      x,
    ]);
    expect(Math.abs(value.dataSync()[0] - expected.value) / expected.value).toBeLessThan(1e-4);
    const gradient = grads[0].dataSync();
    let error = 0;
    let scale = 0;
    for (let i = 0; i < gradient.length; i++) {
      error = Math.max(error, Math.abs(gradient[i] - expected.gradient[i]));
      scale = Math.max(scale, Math.abs(expected.gradient[i]));
    }
    expect(error / scale).toBeLessThan(1e-4);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});
