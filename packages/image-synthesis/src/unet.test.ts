import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSegmentations } from './evaluation.js';
import { createSegmentationUnet, segmentAndEmbed, segmentationStep } from './unet.js';

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
});

describe('segmentation U-Net and evaluation', () => {
  it('learns a colour-coded map on a fixed batch and embeds with the bottleneck width', () => {
    const unet = createSegmentationUnet({ size: 16, classes: 2, baseFilters: 4, depth: 2, seed: 1 });
    expect(unet.outputs[0].shape).toEqual([null, 16, 16, 2]);
    const { images, labels } = tf.tidy(() => {
      const indices = tf.cast(tf.greater(tf.randomUniform([4, 16, 16], 0, 1, 'float32', 2), 0.5), 'int32');
      const labels = tf.cast(tf.oneHot(indices, 2), 'float32') as tf.Tensor4D;
      const images = tf.tile(
        tf.sub(tf.mul(tf.expandDims(tf.cast(indices, 'float32'), -1), 2), 1),
        [1, 1, 1, 3],
      ) as tf.Tensor4D;
      return { images, labels };
    });
    const optimizer = tf.train.adam(1e-2);
    const first = segmentationStep(unet, optimizer, images, labels);
    let last = first;
    for (let i = 0; i < 15; i++) last = segmentationStep(unet, optimizer, images, labels);
    expect(last).toBeLessThan(first * 0.7);
    const embedded = segmentAndEmbed(unet, images);
    expect(embedded.dimension).toBe(16);
    expect(embedded.features).toHaveLength(4 * 16);
    expect(embedded.classes).toHaveLength(4 * 256);
    const truth = tf.tidy(() => tf.argMax(labels, -1).dataSync());
    const evaluation = compareSegmentations(truth, embedded, embedded, 2);
    expect(evaluation.synthesizedVsReal).toEqual({ meanIou: 1, pixelAccuracy: 1 });
    expect(evaluation.frechetDistance).toBeLessThan(1e-9);
    expect(evaluation.realVsLabels.pixelAccuracy).toBeGreaterThan(0.6);
    tf.dispose([images, labels]);
    optimizer.dispose();
    unet.dispose();
  });
});
