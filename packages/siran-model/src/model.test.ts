import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSiranConfig } from './config.js';
import { attentionMaps, combinedAttention } from './discriminator.js';
import { discriminatorLoss, generatorLoss } from './losses.js';
import { createSiranModel, disposeSiranModel, spatialAttention } from './model.js';
import { SiranTrainer } from './training-step.js';

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
});

/** A smooth synthetic scene: reference terrain, a blurred and biased coarse copy, and a guide correlated with it. */
function syntheticBatch(batch = 2, size = 16, seed = 3) {
  return tf.tidy(() => {
    const rows = tf.reshape(tf.range(0, size), [1, size, 1, 1]);
    const columns = tf.reshape(tf.range(0, size), [1, 1, size, 1]);
    const phase = tf.reshape(tf.range(0, batch), [batch, 1, 1, 1]);
    const reference = tf.add(
      tf.mul(tf.sin(tf.add(tf.div(rows, 3), phase)), 20),
      tf.add(tf.mul(tf.cos(tf.div(columns, 4)), 15), 500),
    ) as tf.Tensor4D;
    const noise = tf.randomNormal([batch, size, size, 1], 0, 2, 'float32', seed);
    const coarse = tf.add(tf.avgPool(reference, 3, 1, 'same'), tf.add(noise, 3)) as tf.Tensor4D;
    const guide = tf.concat(
      [tf.mul(reference, 0.5), tf.mul(reference, -0.2), tf.ones([batch, size, size, 1])],
      3,
    ) as tf.Tensor4D;
    return { coarse, guide, reference };
  });
}

describe('SiRAN networks (tiny)', () => {
  it('maps [batch, h, w, 1] DEMs and a 3-band guide to a DEM of the same shape, with attention in [0, 1]', async () => {
    const model = createSiranModel('tiny');
    const { coarse, guide } = syntheticBatch();
    const normalizedCoarse = tf.div(tf.sub(coarse, 500), 10) as tf.Tensor4D;
    const attention = spatialAttention(model, normalizedCoarse);
    expect(attention.shape).toEqual([2, 16, 16, 1]);
    const values = await attention.data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    const output = model.generator.apply([normalizedCoarse, guide, attention]) as tf.Tensor4D;
    expect(output.shape).toEqual([2, 16, 16, 1]);
    const [logits, ...activations] = model.discriminator.apply(normalizedCoarse) as tf.Tensor[];
    expect(logits.shape).toEqual([2, 1]);
    expect(activations).toHaveLength(model.config.discriminatorBlocks);
    tf.dispose([coarse, guide, normalizedCoarse, attention, output, logits, ...activations]);
    disposeSiranModel(model);
  });

  it('gives finite losses whose gradients reach every trainable weight of G, the attention head and D', () => {
    const model = createSiranModel('tiny');
    const trainer = new SiranTrainer(model);
    const { coarse, guide, reference } = syntheticBatch();
    const c = tf.div(tf.sub(coarse, 500), 10) as tf.Tensor4D;
    const y = tf.div(tf.sub(reference, 500), 10) as tf.Tensor4D;
    const generatorGrads = tf.variableGrads(() => {
      const attention = spatialAttention(model, c, true);
      const output = model.generator.apply([c, guide, attention], { training: true }) as tf.Tensor4D;
      const [fakeLogits] = model.discriminator.apply(output, { training: true }) as tf.Tensor[];
      const terms = generatorLoss(output, y, fakeLogits, model.config, 5);
      for (const term of [terms.pixel, terms.ssim, terms.adversarial, terms.sinkhorn])
        expect(Number.isFinite(term.dataSync()[0])).toBe(true);
      expect(terms.sinkhorn.dataSync()[0]).toBeGreaterThan(0);
      return terms.total;
    }, trainer.generatorVariables());
    for (const [name, gradient] of Object.entries(generatorGrads.grads)) {
      expect(tf.sum(tf.abs(gradient)).dataSync()[0], name).toBeGreaterThan(0);
    }
    const discriminatorGrads = tf.variableGrads(() => {
      const [realLogits, ...realActivations] = model.discriminator.apply(y, {
        training: true,
      }) as tf.Tensor4D[];
      const [, ...coarseActivations] = model.discriminator.apply(c, { training: true }) as tf.Tensor4D[];
      const [fakeLogits] = model.discriminator.apply(tf.mul(y, 0.5), { training: true }) as tf.Tensor[];
      return discriminatorLoss(realLogits, fakeLogits, coarseActivations, realActivations, model.config)
        .total;
    }, trainer.discriminatorVariables());
    for (const [name, gradient] of Object.entries(discriminatorGrads.grads)) {
      expect(tf.sum(tf.abs(gradient)).dataSync()[0], name).toBeGreaterThan(0);
    }
    disposeSiranModel(model);
  });

  it('lowers the pixel loss in a few steps on a fixed batch', async () => {
    const model = createSiranModel({ preset: 'tiny', learningRate: 3e-3 });
    const trainer = new SiranTrainer(model);
    const batch = syntheticBatch();
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const result = await trainer.step(batch);
      expect(result.applied).toBe(true);
      losses.push(result.losses.pixel);
    }
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8);
    disposeSiranModel(model);
  });

  it('refuses a step with a non-finite loss and leaves the weights untouched', async () => {
    const model = createSiranModel('tiny');
    const trainer = new SiranTrainer(model);
    const batch = syntheticBatch();
    const before = model.generator.getWeights().map((w) => w.dataSync().slice());
    const poisoned = { ...batch, reference: tf.fill([2, 16, 16, 1], Number.NaN) as tf.Tensor4D };
    const result = await trainer.step(poisoned);
    expect(result.applied).toBe(false);
    expect(result.refused).toBe('generator');
    model.generator.getWeights().forEach((weight, index) => {
      expect(weight.dataSync()).toEqual(before[index]);
    });
    disposeSiranModel(model);
  });
});

describe('ablation switches', () => {
  it('no-fsgt builds the workshop generator without any FSGT layer', () => {
    const hybrid = createSiranModel('tiny');
    const workshop = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt'] });
    const classes = (m: typeof hybrid) => m.generator.layers.map((layer) => layer.getClassName());
    expect(classes(hybrid)).toContain('Fsgt');
    expect(classes(workshop)).not.toContain('Fsgt');
    expect(workshop.generator.countParams()).toBeLessThan(hybrid.generator.countParams());
    disposeSiranModel(hybrid);
    disposeSiranModel(workshop);
  });

  it('no-guide makes the output independent of the guide', () => {
    const model = createSiranModel({ preset: 'tiny', ablations: ['no-guide'] });
    const { coarse, guide } = syntheticBatch();
    const c = tf.div(tf.sub(coarse, 500), 10) as tf.Tensor4D;
    const ones = tf.onesLike(c);
    const a = model.generator.apply([c, guide, ones]) as tf.Tensor;
    const b = model.generator.apply([c, tf.mul(guide, -3), ones]) as tf.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    disposeSiranModel(model);
  });

  it('no-dsa gives a uniform attention of ones; no-psa the combined map without PSA', () => {
    const noDsa = createSiranModel({ preset: 'tiny', ablations: ['no-dsa'] });
    const noPsa = createSiranModel({ preset: 'tiny', ablations: ['no-psa'] });
    const { coarse } = syntheticBatch();
    const c = tf.div(tf.sub(coarse, 500), 10) as tf.Tensor4D;
    expect(Array.from(spatialAttention(noDsa, c).dataSync()).every((v) => v === 1)).toBe(true);
    const [, ...activations] = noPsa.discriminator.apply(c) as tf.Tensor4D[];
    const expected = combinedAttention(attentionMaps(activations));
    expect(Array.from(spatialAttention(noPsa, c).dataSync())).toEqual(Array.from(expected.dataSync()));
    disposeSiranModel(noDsa);
    disposeSiranModel(noPsa);
  });

  it('no-ot and no-adv remove their loss terms', () => {
    const config = resolveSiranConfig({ preset: 'tiny', ablations: ['no-ot', 'no-adv'] });
    const prediction = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const reference = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const terms = generatorLoss(prediction, reference, tf.tensor2d([[-3], [2]]), config, 4);
    expect(terms.sinkhorn.dataSync()[0]).toBe(0);
    expect(terms.adversarial.dataSync()[0]).toBe(0);
    const expectedTotal = 100 * terms.pixel.dataSync()[0] + terms.ssim.dataSync()[0];
    expect(terms.total.dataSync()[0]).toBeCloseTo(expectedTotal, 3);
  });
});

describe('generatorFlops', () => {
  it('counts the convolutions of the workshop generator by hand', async () => {
    const { generatorFlops } = await import('./flops.js');
    const flops = generatorFlops({ preset: 'tiny', ablations: ['no-fsgt'] }, 16, 20);
    // encoder 3x3 4->8, RCB 2 x (3x3 8->8), DMRB fusion 1x1 16->8, decoder 3x3 8->8, output 1x1 8->1
    const perPixel = 2 * (9 * 4 * 8 + 2 * 9 * 8 * 8 + 16 * 8 + 9 * 8 * 8 + 8 * 1);
    expect(flops.convolutions).toBe(perPixel * 16 * 20);
    expect(flops.attention).toBe(0);
    const hybrid = generatorFlops('tiny', 16, 20);
    expect(hybrid.attention).toBeGreaterThan(0);
    expect(hybrid.parameters).toBeGreaterThan(flops.parameters);
  });
});

describe('resolveSiranConfig refuses what it would otherwise ignore', () => {
  it('names misspelt fields, unknown loss terms and values of the wrong type (as a damaged model.json has them)', () => {
    expect(() => resolveSiranConfig({ preset: 'tiny', heads_: 2 } as never)).toThrow(
      /unknown field\(s\) "heads_"; expected .*heads/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', lossWeights: { pixel_: 1 } } as never)).toThrow(
      /unknown loss term\(s\) "pixel_"/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', residual: '' } as never)).toThrow(
      /residual must be a boolean, got ""/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', ablations: 'no-ot' } as never)).toThrow(
      /ablations must be an array/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', lossWeights: { sinkhorn: true } } as never)).toThrow(
      /lossWeights\.sinkhorn must be >= 0, got true/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', lossWeights: { ssim: null } } as never)).toThrow(
      /lossWeights\.ssim must be >= 0, got null/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', learningRate: '0.1' } as never)).toThrow(
      /learningRate must be a number, got "0\.1"/,
    );
    expect(() => resolveSiranConfig({ preset: 'tiny', seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(resolveSiranConfig({ preset: 'tiny', heads: 4 }).heads).toBe(4);
  });
});
