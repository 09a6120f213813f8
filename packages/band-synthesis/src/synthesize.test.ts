import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { readRaster } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBandSynthesisConfig } from './config.js';
import { loadBandSynthesisModel, saveBandSynthesisModel } from './model.js';
import { createBandCritic, createBandGenerator } from './networks.js';
import { readSourceBands, writeBand } from './raster-io.js';
import type { BandGrid } from './resample.js';
import { createScene } from './scene.js';
import { synthesizeBand, windowStarts } from './synthesize.js';

let work: string;
beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'band-synthesis-scene-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const config = resolveBandSynthesisConfig({ channels: 4, generatorBlocks: 1, criticBlocks: 1 });
const grid = (rows: number, cols: number, f: (r: number, c: number) => number): BandGrid => ({
  data: Float32Array.from({ length: rows * cols }, (_, i) => f(Math.floor(i / cols), i % cols)),
  rows,
  cols,
});

describe('synthesizeBand', () => {
  it('covers a scene with overlapping windows', () => {
    expect(windowStarts(40, 16, 4)).toEqual([0, 12, 24]);
    expect(windowStarts(10, 16, 4)).toEqual([0]);
  });

  it('synthesises a scene in windows, saves and reloads the model, and writes a float32 COG', async () => {
    const model = {
      config,
      generator: createBandGenerator(config),
      critic: createBandCritic(config),
      valueScale: 255,
      step: 0,
    };
    const hr = (f: (r: number, c: number) => number) => grid(36, 44, f);
    const scene = createScene(
      [hr((r) => 100 + r), hr((_, c) => 50 + c), hr((r, c) => 80 + ((r * c) % 7))],
      grid(18, 22, (r, c) => 90 + r + c),
      { ratio: 2, valueScale: 255 },
    );
    const progress: number[] = [];
    const before = tf.memory().numTensors;
    const band = await synthesizeBand(model, scene, {
      tileSize: 16,
      overlap: 4,
      onProgress: (done) => progress.push(done),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.length).toBe(3 * 4); // rows 0, 12, 20; columns 0, 12, 24, 28
    expect([band.rows, band.cols]).toEqual([36, 44]);
    // Untrained residual generator: the last convolution starts near zero, so the output is the upsampled band.
    band.data.forEach((value, i) => {
      expect(Math.abs(value - scene.upsampled.data[i])).toBeLessThan(2);
    });
    await saveBandSynthesisModel(path.join(work, 'model'), model);
    const loaded = await loadBandSynthesisModel(path.join(work, 'model'));
    const again = await synthesizeBand(loaded, scene, { tileSize: 16, overlap: 4 });
    expect(Array.from(again.data)).toEqual(Array.from(band.data));
    const output = path.join(work, 'band.tif');
    const transform = [500000, 10, 0, 9000000, 0, -10] as const;
    const source = await readSourceBands(
      new URL('../data/L7_ETMs.tif', import.meta.url).pathname,
      undefined,
      4,
    );
    await writeBand(output, band, { transform, crs: source.crs }, 'synthesised SWIR');
    const written = await readRaster(output);
    expect(written.data.shape).toEqual([1, 36, 44]);
    expect(written.transform).toEqual(transform);
    expect(written.data.data).toBeInstanceOf(Float32Array);
    // The description is stored in the GDAL_METADATA tag, as GDAL writes it (`gdalinfo` shows it).
    expect((await readFile(output)).toString('latin1')).toMatch(/role="description">synthesised SWIR</);
  });

  it('names bad input', async () => {
    const a = grid(8, 8, () => 1);
    expect(() =>
      createScene(
        [a, a, grid(8, 6, () => 1)],
        grid(4, 4, () => 1),
        { ratio: 2, valueScale: 1 },
      ),
    ).toThrow(/the green band is 8 x 6; the NIR band is 8 x 8/);
    expect(() =>
      createScene(
        [a, a, a],
        grid(8, 8, () => 1),
        { ratio: 1, valueScale: 1 },
      ),
    ).toThrow(/coarser by an integer ratio >= 2/);
    expect(() =>
      createScene(
        [a, a, a],
        grid(3, 4, () => 1),
        { ratio: 2, valueScale: 1 },
      ),
    ).toThrow(/the LR band is 3 x 4; ratio 2 needs 4 x 4/);
    await expect(
      readSourceBands(new URL('../data/L7_ETMs.tif', import.meta.url).pathname, {
        nir: 4,
        red: 3,
        green: 2,
        target: 9,
      }),
    ).rejects.toThrow(/readSourceBands: target band 9 is missing; the raster has bands 1-6/);
  });
});
