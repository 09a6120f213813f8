import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveBandSynthesisConfig } from './config.js';
import { gradientPenalty } from './losses.js';
import { createBandCritic, createBandGenerator, criticAttention } from './networks.js';
import { BandSynthesisTrainer } from './trainer.js';

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
});

const config = resolveBandSynthesisConfig({ channels: 4, generatorBlocks: 1, criticBlocks: 2 });

describe('networks', () => {
  it('give the documented shapes for both attention combinations', () => {
    for (const attentionCombination of ['modulate', 'concatenate'] as const) {
      for (const residual of [true, false]) {
        const generator = createBandGenerator({ ...config, attentionCombination, residual });
        const output = generator.predict([
          tf.ones([2, 8, 8, 3]),
          tf.ones([2, 8, 8, 1]),
          tf.ones([2, 8, 8, 1]),
        ]) as tf.Tensor;
        expect(output.shape).toEqual([2, 8, 8, 1]);
        output.dispose();
        generator.dispose();
      }
    }
    const critic = createBandCritic(config);
    const outputs = critic.predict(tf.ones([2, 8, 8, 1])) as tf.Tensor[];
    expect(outputs.map((o) => o.shape)).toEqual([
      [2, 1],
      [2, 8, 8, 4],
      [2, 8, 8, 4],
    ]);
    const input = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const attention = criticAttention(critic, input);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(attention.shape).toEqual([2, 8, 8, 1]);
    expect(tf.min(attention).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.max(attention).dataSync()[0]).toBeLessThanOrEqual(1);
  });

  it('computes the gradient penalty of a critic network (second-order gradients)', () => {
    const critic = createBandCritic(config);
    const real = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const fake = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const mix = tf.tensor4d([0.3, 0.7], [2, 1, 1, 1]);
    const variables = critic.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => gradientPenalty((x) => (critic.apply(x) as tf.Tensor[])[0], real, fake, mix),
      variables,
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(variables.filter((v) => grads[v.name] === undefined).map((v) => v.name)).toEqual([]);
  });

  it('survive a save and load round trip', async () => {
    const generator = createBandGenerator(config);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await generator.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const inputs = [
      tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 4),
      tf.ones([1, 8, 8, 1]),
      tf.ones([1, 8, 8, 1]),
    ];
    const a = (generator.predict(inputs) as tf.Tensor).dataSync();
    const b = (loaded.predict(inputs) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('BandSynthesisTrainer', () => {
  const batch = () => {
    const reference = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    return {
      bands: tf.concat(
        [reference, tf.mul(reference, 0.5), tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 6)],
        3,
      ) as tf.Tensor4D,
      upsampled: tf.add(tf.mul(reference, 0.8), 0.1) as tf.Tensor4D,
      reference,
    };
  };

  it('reaches every trainable weight of both networks in one step', async () => {
    const trainer = new BandSynthesisTrainer(config);
    const snapshot = (model: tfl.LayersModel) =>
      model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const [g0, c0] = [snapshot(trainer.generator), snapshot(trainer.critic)];
    const losses = await trainer.step(batch(), 1);
    for (const value of Object.values(losses)) expect(Number.isFinite(value)).toBe(true);
    const unchanged = (model: tfl.LayersModel, before: number[][]) =>
      model.trainableWeights
        .filter((w, i) =>
          w
            .read()
            .dataSync()
            .every((v, j) => v === before[i][j]),
        )
        .map((w) => w.name);
    expect(unchanged(trainer.generator, g0)).toEqual([]);
    expect(unchanged(trainer.critic, c0)).toEqual([]);
  });

  it('lowers the reconstruction loss over a few steps on a fixed batch', async () => {
    const trainer = new BandSynthesisTrainer({
      ...config,
      residual: false,
      lossWeights: { ...config.lossWeights, adversarial: 0.1 },
    });
    const fixed = batch();
    const first = await trainer.step(fixed, 1);
    let last = first;
    for (let step = 2; step <= 12; step++) last = await trainer.step(fixed, step);
    expect(last.reconstruction).toBeLessThan(0.7 * first.reconstruction);
    expect(last.generator).toBeLessThan(first.generator);
  });
});
