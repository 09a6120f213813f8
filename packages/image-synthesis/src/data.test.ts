import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRaster, writeRaster } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classIndices,
  denormalizeBand,
  fitDemNormalization,
  normalizeBand,
  oneHot,
  percentile,
  ZION_LAND_COVER_CLASSES,
} from './normalization.js';
import { scenePatchBatch, splitPatchesByBlocks } from './patches.js';
import { loadSynthesisScene } from './scene.js';

const data = fileURLToPath(new URL('../data/', import.meta.url));
const files = {
  landCover: path.join(data, 'zion-landcover.tif'),
  dem: path.join(data, 'zion-dem.tif'),
  imagery: path.join(data, 'zion-landsat.tif'),
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('normalisation', () => {
  it('maps class values to one-hot channels and names unknown values with what was expected', () => {
    const table = [
      { value: 11, name: 'Water' },
      { value: 42, name: 'Forest' },
    ];
    expect(Array.from(classIndices([42, 11, 255], table, 255))).toEqual([1, 0, -1]);
    expect(Array.from(oneHot([1, 0, -1], 2))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(() => classIndices([11, 7, 9], table)).toThrow(
      'classIndices: land-cover values 7, 9 are not in the class table; expected one of 11 (Water), 42 (Forest)',
    );
  });

  it('clips optical bands and log-scales SAR, both to [-1, 1], and inverts', () => {
    const optical = { kind: 'optical' as const, low: [100], high: [300] };
    expect(Array.from(normalizeBand([50, 100, 200, 300, 900], optical, 0))).toEqual([-1, -1, 0, 1, 1]);
    expect(Array.from(denormalizeBand([-1, 0, 1], optical, 0))).toEqual([100, 200, 300]);
    const sar = { kind: 'sar' as const, lowDb: -20, highDb: 0 };
    // 0.1 -> -10 dB -> 0; 1 -> 0 dB -> 1; 1e-4 -> -40 dB -> clipped to -1.
    const values = Array.from(normalizeBand([0.1, 1, 1e-4], sar, 0));
    expect(values[0]).toBeCloseTo(0, 6);
    expect(values.slice(1)).toEqual([1, -1]);
    expect(percentile([4, 1, 3, 2, Number.NaN], 0.5)).toBe(2.5);
    expect(fitDemNormalization([1000, 1002, Number.NaN])).toEqual({ mean: 1001, scale: 1 });
  });
});

describe('patches', () => {
  it('splits by whole blocks: no pixel is shared between splits', () => {
    const patches = splitPatchesByBlocks(100, 120, { patchSize: 8, blockSize: 20, stride: 4, seed: 3 });
    const owner = new Map<number, string>();
    for (const { row, column, split } of patches)
      for (let r = row; r < row + 8; r++)
        for (let c = column; c < column + 8; c++) {
          const key = r * 120 + c;
          expect(owner.get(key) ?? split).toBe(split);
          owner.set(key, split);
        }
    const splits = new Set(patches.map((p) => p.split));
    expect(splits).toEqual(new Set(['train', 'validation', 'test']));
    // 5 x 6 blocks of 4 x 4 patches each.
    expect(patches).toHaveLength(30 * 16);
  });
});

describe('loadSynthesisScene', () => {
  it('reads the Zion sample: 8 classes, DEM and three normalised bands on one grid', async () => {
    const scene = await loadSynthesisScene({ ...files, classTable: ZION_LAND_COVER_CLASSES });
    expect([scene.height, scene.width, scene.bands]).toEqual([476, 376, 3]);
    expect(scene.classes.reduce((a, b) => Math.min(a, b), 99)).toBeGreaterThanOrEqual(0);
    expect((scene.image as Float32Array).reduce((a, b) => Math.max(a, Math.abs(b)), 0)).toBeLessThanOrEqual(
      1,
    );
    expect(scene.demNormalization.mean).toBeGreaterThan(1000);
    const batch = scenePatchBatch(scene, [{ row: 10, column: 20 }], 8);
    expect(batch.landCover.shape).toEqual([1, 8, 8, 8]);
    expect(tf.sum(batch.landCover).dataSync()[0]).toBe(64);
    tf.dispose(Object.values(batch));
  });

  it('refuses a DEM on another grid and a class table that misses classes', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'image-synthesis-'));
    try {
      const dem = await readRaster(files.dem);
      const shifted = path.join(folder, 'shifted.tif');
      const t = dem.transform;
      await writeRaster(shifted, { ...dem, transform: [t[0] + 90, t[1], t[2], t[3], t[4], t[5]] });
      await expect(
        loadSynthesisScene({ ...files, dem: shifted, classTable: ZION_LAND_COVER_CLASSES }),
      ).rejects.toThrow(/is not on the grid of .*zion-landcover.tif/);
      await expect(
        loadSynthesisScene({ ...files, classTable: ZION_LAND_COVER_CLASSES.slice(0, 4) }),
      ).rejects.toThrow(/values 5, 6, 7, 8 are not in the class table; expected one of 1 \(Water\)/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
