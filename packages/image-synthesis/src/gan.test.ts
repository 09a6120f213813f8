import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMultiscaleDiscriminator,
  defaultDiscriminatorScales,
  splitDiscriminatorOutputs,
} from './discriminator.js';
import { SpadeGan } from './gan.js';
import { createSpadeGenerator } from './generator.js';
import { featureMatchingLoss, hingeDiscriminatorLoss, hingeGeneratorLoss } from './losses.js';

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
});

const tiny = {
  size: 16,
  classes: 3,
  baseFilters: 4,
  downsamplings: 1,
  residualBlocks: 1,
  spadeHiddenChannels: 4,
  seed: 1,
};
const classNames = (model: { layers: { getClassName(): string }[] }) =>
  model.layers.map((l) => l.getClassName());

function fixedBatch(): { raster: tf.Tensor4D; landCover: tf.Tensor4D; image: tf.Tensor4D } {
  return tf.tidy(() => {
    const labels = tf.randomUniform([2, 16, 16], 0, 3, 'int32', 1);
    const landCover = tf.cast(tf.oneHot(labels, 3), 'float32') as tf.Tensor4D;
    const raster = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    // An image that depends on the classes: each class has its colour.
    const colours = tf.tensor2d([
      [-0.8, 0.2, 0.5],
      [0.1, -0.5, 0.9],
      [0.7, 0.6, -0.3],
    ]);
    const image = tf.reshape(
      tf.matMul(tf.reshape(landCover, [-1, 3]), colours),
      [2, 16, 16, 3],
    ) as tf.Tensor4D;
    return { raster, landCover, image };
  });
}

describe('generator and discriminator', () => {
  it('have the documented shapes, and the switches change the architecture', () => {
    const spade = createSpadeGenerator(tiny);
    expect(spade.inputs.map((i) => i.shape)).toEqual([
      [null, 16, 16, 1],
      [null, 16, 16, 3],
    ]);
    expect(spade.outputs[0].shape).toEqual([null, 16, 16, 3]);
    // 7x7 conv, one strided conv, one block of 2 convs, one decoder conv, final conv = 6 convs; norms: 1 + 1 + 2 + 1.
    expect(classNames(spade).filter((n) => n === 'SpectralNormalizedConv2D')).toHaveLength(6);
    expect(classNames(spade).filter((n) => n === 'Spade')).toHaveLength(5);
    expect(classNames(spade)).toContain('UpSampling2D');

    const batch = createSpadeGenerator({ ...tiny, normalization: 'batch' });
    expect(batch.inputs.map((i) => i.shape)).toEqual([[null, 16, 16, 1]]);
    expect(classNames(batch).filter((n) => n === 'Spade')).toHaveLength(0);
    expect(classNames(batch).filter((n) => n === 'BatchNormalization')).toHaveLength(5);

    const plain = createSpadeGenerator({ ...tiny, encoder: false });
    expect(plain.inputs.map((i) => i.shape)).toEqual([[null, 16, 16, 3]]);
    // No 7x7 conv and no strided conv: input conv, 2 block convs, decoder conv, final conv; norms 2 + 1.
    expect(classNames(plain).filter((n) => n === 'SpectralNormalizedConv2D')).toHaveLength(5);
    expect(classNames(plain).filter((n) => n === 'Spade')).toHaveLength(3);
    expect(() => createSpadeGenerator({ ...tiny, normalization: 'batch', encoder: false })).toThrow(
      /needs the encoder/,
    );
    expect(() => createSpadeGenerator({ ...tiny, size: 15 })).toThrow(/multiple of/);

    const x = tf.zeros([1, 16, 16, 1]);
    const map = tf.zeros([1, 16, 16, 3]);
    const y = spade.predict([x, map]) as tf.Tensor;
    expect(y.shape).toEqual([1, 16, 16, 3]);
    expect(tf.max(tf.abs(y)).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([x, map, y]);
    for (const model of [spade, batch, plain]) model.dispose();
  });

  it('has 2 scales up to 256 pixels and 3 from 512; instance norm after all but the first conv', () => {
    expect(defaultDiscriminatorScales(256)).toBe(2);
    expect(defaultDiscriminatorScales(512)).toBe(3);
    const d = createMultiscaleDiscriminator({
      size: 32,
      inputChannels: 6,
      scales: 3,
      baseFilters: 4,
      stridedLayers: 2,
    });
    const scales = splitDiscriminatorOutputs(d.outputs, 3);
    expect(scales.map((s) => s.logits.shape)).toEqual([
      [null, 8, 8, 1],
      [null, 4, 4, 1],
      [null, 2, 2, 1],
    ]);
    expect(scales[0].features.map((f) => f.shape[3])).toEqual([4, 8, 16]);
    // Per scale: 3 feature convs + 1 output conv; instance norm after the 2nd and 3rd.
    expect(classNames(d).filter((n) => n === 'SpectralNormalizedConv2D')).toHaveLength(12);
    expect(classNames(d).filter((n) => n === 'InstanceNormalization')).toHaveLength(6);
    d.dispose();
  });
});

describe('losses', () => {
  it('hinge losses match the closed form', () => {
    const real = [tf.tensor1d([2, 0.5, -1]), tf.tensor1d([0, 1.5])];
    const fake = [tf.tensor1d([-2, 0, 0.5]), tf.tensor1d([-0.5, 3])];
    // scale 1: mean(relu(1-r)) = (0 + 0.5 + 2)/3, mean(relu(1+f)) = (0 + 1 + 1.5)/3; scale 2: (1 + 0)/2, (0.5 + 4)/2.
    const expected = ((2.5 + 2.5) / 3 + (1 + 4.5) / 2) / 2;
    expect(hingeDiscriminatorLoss(real, fake).dataSync()[0]).toBeCloseTo(expected, 6);
    expect(hingeGeneratorLoss(fake).dataSync()[0]).toBeCloseTo(-(-1.5 / 3 + 2.5 / 2) / 2, 6);
    expect(() => hingeDiscriminatorLoss(real, fake.slice(1))).toThrow(RangeError);
  });

  it('feature matching is the per-scale sum of mean absolute differences, averaged over scales', () => {
    const real = [[tf.tensor1d([1, 2]), tf.tensor1d([0, 0, 0])], [tf.tensor1d([5])]];
    const fake = [[tf.tensor1d([0, 4]), tf.tensor1d([1, -1, 1])], [tf.tensor1d([2])]];
    expect(featureMatchingLoss(real, fake).dataSync()[0]).toBeCloseTo((1.5 + 1 + 3) / 2, 6);
  });
});

describe('SpadeGan', () => {
  it('a few steps lower the losses on a fixed batch, with no tensors left behind', () => {
    const gan = new SpadeGan({ generator: tiny, discriminator: { baseFilters: 4, stridedLayers: 1 } });
    const batch = fixedBatch();
    gan.step(batch);
    const before = tf.memory().numTensors;
    const first = gan.discriminatorStep(batch);
    let last = first;
    for (let i = 0; i < 8; i++) last = gan.discriminatorStep(batch);
    expect(last).toBeLessThan(first);
    const g0 = gan.generatorStep(batch).generator;
    let g = g0;
    for (let i = 0; i < 8; i++) g = gan.generatorStep(batch).generator;
    expect(g).toBeLessThan(g0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(batch));
    gan.dispose();
  });
});
