import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRaster, readRasterInfo } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPADE_GENERATOR_OPTIONS } from './generator.js';
import { ZION_LAND_COVER_CLASSES } from './normalization.js';
import { loadSynthesisModel, type SynthesisModel, saveSynthesisModel } from './synthesis-model.js';
import { synthesizeImageFile, tileOrigins } from './synthesize.js';

const data = fileURLToPath(new URL('../data/', import.meta.url));
const landCover = path.join(data, 'zion-landcover.tif');
const dem = path.join(data, 'zion-dem.tif');
let folder: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(path.join(tmpdir(), 'image-synthesis-scene-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A per-pixel "generator" (1x1 convolution of the one-hot map, tanh): tiling must not change its output. */
function perPixelModel(classPixelCounts: number[]): SynthesisModel {
  const generator = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [64, 64, 8],
        filters: 3,
        kernelSize: 1,
        activation: 'tanh',
        kernelInitializer: tfl.initializers.randomNormal({ seed: 1 }),
      }),
    ],
  });
  return {
    generator,
    metadata: {
      generator: { ...DEFAULT_SPADE_GENERATOR_OPTIONS, size: 64, classes: 8, encoder: false },
      classTable: ZION_LAND_COVER_CLASSES,
      classPixelCounts,
      demNormalization: { mean: 1800, scale: 400 },
      imageryNormalization: { kind: 'optical', low: [0, 0, 0], high: [2, 2, 2] },
      bandNames: ['NIR', 'Red', 'Green'],
      steps: 0,
    },
  };
}

describe('whole-scene synthesis', () => {
  it('places tiles with the overlap and a last tile flush with the edge', () => {
    expect(tileOrigins(100, 32, 8)).toEqual([0, 24, 48, 68]);
    expect(tileOrigins(32, 32, 8)).toEqual([0]);
  });

  it('writes a georeferenced COG whose overlapping tiles blend to the per-pixel result', async () => {
    const model = perPixelModel([1, 1, 1, 1, 1, 1, 1, 1]);
    const out = path.join(folder, 'rgb.tif');
    let calls = 0;
    await synthesizeImageFile(model, {
      landCover,
      dem,
      out,
      overlap: 16,
      batchSize: 16,
      onProgress: () => calls++,
    });
    const written = await readRaster(out);
    const reference = await readRaster(landCover);
    expect(written.data.shape).toEqual([3, 476, 376]);
    expect(written.transform).toEqual(reference.transform);
    expect(written.crs.epsg).toBe(reference.crs.epsg);
    expect(calls).toBeGreaterThan(1);
    const info = await readRasterInfo(out);
    expect(info.dataType).toBe('float32');
    // Expected: per pixel, tanh(kernel row of its class), mapped from [-1, 1] to [0, 2].
    const kernel = (model.generator.getWeights()[0].arraySync() as number[][][][])[0][0];
    const bias = model.generator.getWeights()[1].arraySync() as number[];
    let worst = 0;
    for (let i = 0; i < 476 * 376; i += 97) {
      const index = reference.data.data[i] - 1;
      for (let b = 0; b < 3; b++) {
        const expected = Math.tanh(kernel[index][b] + bias[b]) + 1;
        worst = Math.max(worst, Math.abs(written.data.data[b * 476 * 376 + i] - expected));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    model.generator.dispose();
  });

  it('refuses classes the model never saw and saves/loads its metadata', async () => {
    const model = perPixelModel([1, 1, 0, 1, 1, 1, 1, 1]);
    const directory = path.join(folder, 'model');
    await saveSynthesisModel(directory, model);
    const loaded = await loadSynthesisModel(directory);
    expect(loaded.metadata.classPixelCounts).toEqual([1, 1, 0, 1, 1, 1, 1, 1]);
    await expect(
      synthesizeImageFile(loaded, { landCover, dem, out: path.join(folder, 'x.tif') }),
    ).rejects.toThrow(
      'synthesizeScene: the land cover has classes the model never saw in training: 3 (Barren); it was trained on 1 (Water), 2 (Developed), 4 (Forest)',
    );
    model.generator.dispose();
    loaded.generator.dispose();
  });
});
