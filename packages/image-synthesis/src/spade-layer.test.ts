import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spade } from './spade-layer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Image = number[][][]; // [height][width][channels], float64

/** 'same' 2-D convolution of one image in float64 (odd square kernel). */
function conv(image: Image, kernel: number[][][][], bias: number[]): Image {
  const height = image.length;
  const width = image[0].length;
  const k = kernel.length;
  const half = (k - 1) / 2;
  const out: Image = [];
  for (let i = 0; i < height; i++) {
    out.push([]);
    for (let j = 0; j < width; j++) {
      const value = [...bias];
      for (let di = 0; di < k; di++)
        for (let dj = 0; dj < k; dj++) {
          const y = i + di - half;
          const x = j + dj - half;
          if (y < 0 || y >= height || x < 0 || x >= width) continue;
          for (let c = 0; c < image[y][x].length; c++)
            for (let o = 0; o < bias.length; o++) value[o] += image[y][x][c] * kernel[di][dj][c][o];
        }
      out[i].push(value);
    }
  }
  return out;
}

describe('Spade', () => {
  it('matches a float64 re-computation: instance norm, nearest resize, shared conv + ReLU, gamma and beta', () => {
    const features = tf.randomNormal([2, 4, 5, 3], 1, 2, 'float32', 1) as tf.Tensor4D;
    const labels = tf.randomUniform([2, 8, 10], 0, 4, 'int32', 2);
    const map = tf.cast(tf.oneHot(labels, 4), 'float32') as tf.Tensor4D;
    const layer = new Spade({ hiddenChannels: 6, seed: 3 });
    // Biases are zero at initialisation: give them values so that they are checked too.
    layer.apply([features, map]);
    layer.setWeights(
      layer
        .getWeights()
        .map((w, i) => (w.rank === 1 ? tf.randomNormal(w.shape, 0, 0.3, 'float32', 10 + i) : w)),
    );
    const [sk, sb, gk, gb, bk, bb] = layer.getWeights().map((w) => w.arraySync()) as [
      number[][][][],
      number[],
      number[][][][],
      number[],
      number[][][][],
      number[],
    ];
    const y = (layer.apply([features, map]) as tf.Tensor).arraySync() as Image[];
    const x = features.arraySync() as Image[];
    const m = map.arraySync() as Image[];
    let worst = 0;
    for (let b = 0; b < 2; b++) {
      // Nearest neighbour from 8 x 10 to 4 x 5: source index floor(i * 2).
      const resized: Image = x[b].map((row, i) => row.map((_, j) => m[b][2 * i][2 * j]));
      const shared = conv(resized, sk, sb).map((row) => row.map((v) => v.map((u) => Math.max(u, 0))));
      const gamma = conv(shared, gk, gb);
      const beta = conv(shared, bk, bb);
      for (let c = 0; c < 3; c++) {
        const values = x[b].flat().map((pixel) => pixel[c]);
        const mean = values.reduce((s, v) => s + v, 0) / values.length;
        const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 5; j++) {
            const normalized = (x[b][i][j][c] - mean) / Math.sqrt(variance + 1e-5);
            const expected = normalized * (1 + gamma[i][j][c]) + beta[i][j][c];
            worst = Math.max(worst, Math.abs(y[b][i][j][c] - expected) / (1 + Math.abs(expected)));
          }
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('saves and loads with the same outputs, and leaves no tensors behind', async () => {
    const featureInput = tfl.input({ shape: [4, 4, 2] });
    const mapInput = tfl.input({ shape: [8, 8, 3] });
    const output = new Spade({ hiddenChannels: 4, seed: 5 }).apply([
      featureInput,
      mapInput,
    ]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [featureInput, mapInput], outputs: output });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 6);
    const map = tf.cast(tf.oneHot(tf.randomUniform([1, 8, 8], 0, 3, 'int32', 7), 3), 'float32');
    const before = tf.memory().numTensors;
    const a = model.predict([x, map]) as tf.Tensor;
    const b = loaded.predict([x, map]) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    expect(loaded.layers.some((layer) => layer.getClassName() === 'Spade')).toBe(true);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes gradients to every weight', () => {
    const layer = new Spade({ hiddenChannels: 4, seed: 8 });
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 9);
    const map = tf.cast(tf.oneHot(tf.randomUniform([1, 4, 4], 0, 3, 'int32', 10), 3), 'float32');
    layer.apply([x, map]);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(layer.apply([x, map]) as tf.Tensor)) as tf.Scalar,
      variables,
    );
    expect(Object.keys(grads)).toHaveLength(6);
    for (const variable of variables) {
      expect(tf.sum(tf.abs(grads[variable.name])).dataSync()[0], variable.name).toBeGreaterThan(0);
    }
  });
});
