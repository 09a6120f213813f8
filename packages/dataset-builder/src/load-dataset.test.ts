import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCrs } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatasetFromSources } from './build-from-sources.js';
import { applyDihedralTransform, type DihedralTransform } from './dihedral-transform.js';
import { loadDataset } from './load-dataset.js';
import type { DatasetManifest } from './manifest.js';
import { readNpy } from './npy-format.js';
import { NpyRecordReader } from './npy-records.js';
import { rasterSourceFromRaster } from './raster-source.js';

let root: string;
let directory: string;
let manifest: DatasetManifest;
const size = 16;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'load-dataset-'));
  directory = join(root, 'dataset');
  // Coarse = reference and guide channel c = reference + 1000 c: any mismatch between layers shows.
  const crs = resolveCrs('EPSG:32631');
  const width = 96;
  const heights = Float32Array.from(
    { length: width * width },
    (_, i) => ((i * 7919) % 1009) / 7 + (i % width),
  );
  const guide = new Float32Array(3 * heights.length);
  for (let c = 0; c < 3; c += 1)
    for (let i = 0; i < heights.length; i += 1) guide[c * heights.length + i] = heights[i]! + 1000 * c;
  const transform = [500000, 1, 0, 4800000, 0, -1] as const;
  const dem = rasterSourceFromRaster({
    data: ndarray(heights, [1, width, width]),
    transform,
    crs,
    nodata: null,
  });
  manifest = await buildDatasetFromSources(
    [
      {
        name: 'layers',
        reference: dem,
        coarse: dem,
        guide: rasterSourceFromRaster({
          data: ndarray(guide, [3, width, width]),
          transform,
          crs,
          nodata: null,
        }),
        guideBands: [0, 1, 2],
      },
    ],
    directory,
    {
      patch: { size, stride: size },
      split: { blockSize: 48, guardBand: 0, fractions: { train: 1, validation: 0, test: 0 } },
    },
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadDataset', () => {
  it('streams the split in file order without shuffling, in batches, and leaks no tensors', async () => {
    expect(manifest.splits.train.count).toBe(36);
    const stored = await readNpy(join(directory, 'train', 'reference.npy'));
    const before = tf.memory().numTensors;
    const dataset = await loadDataset(directory, { batchSize: 8, shuffle: false });
    expect(dataset.batchesPerEpoch).toBe(5);
    const sizes: number[] = [];
    let offset = 0;
    for await (const batch of dataset) {
      expect(batch.guide.shape).toEqual([batch.reference.shape[0], size, size, 3]);
      const values = await batch.reference.data();
      expect(Array.from(values)).toEqual(Array.from(stored.values.subarray(offset, offset + values.length)));
      offset += values.length;
      sizes.push(batch.reference.shape[0]);
      tf.dispose(batch as unknown as tf.TensorContainer);
    }
    expect(sizes).toEqual([8, 8, 8, 8, 4]);
    expect(tf.memory().numTensors).toBe(before);
    const dropped = await loadDataset(directory, { batchSize: 8, dropRemainder: true });
    expect(dropped.batchesPerEpoch).toBe(4);
  });

  it('applies the same flip/rotation to all three layers, one of the eight symmetries of the stored patch', async () => {
    const stored = await readNpy(join(directory, 'train', 'reference.npy'));
    const dataset = await loadDataset(directory, { batchSize: 36, shuffle: false, augment: true, seed: 5 });
    const used = new Set<number>();
    for await (const batch of dataset) {
      const [coarse, guide, reference] = await Promise.all([
        batch.coarse.data(),
        batch.guide.data(),
        batch.reference.data(),
      ]);
      for (let k = 0; k < 36; k += 1) {
        const patch = reference.subarray(k * 256, (k + 1) * 256);
        expect(Array.from(coarse.subarray(k * 256, (k + 1) * 256))).toEqual(Array.from(patch));
        for (let p = 0; p < 256; p += 1)
          for (let c = 0; c < 3; c += 1)
            expect(guide[k * 768 + p * 3 + c]).toBe(Math.fround(patch[p]! + 1000 * c));
        const original = stored.values.subarray(k * 256, (k + 1) * 256);
        const match = [0, 1, 2, 3, 4, 5, 6, 7].find((t) =>
          applyDihedralTransform(original, size, 1, t as DihedralTransform).every((v, i) => v === patch[i]),
        );
        expect(match).toBeDefined();
        used.add(match!);
      }
      tf.dispose(batch as unknown as tf.TensorContainer);
    }
    expect(used.size).toBeGreaterThan(4);
  });

  it('shuffles reproducibly per seed and differently per epoch; normalises with the manifest statistics', async () => {
    const firstValues = async (dataset: Awaited<ReturnType<typeof loadDataset>>) => {
      const values: number[] = [];
      for await (const batch of dataset) {
        values.push((await batch.reference.data())[0]!);
        tf.dispose(batch as unknown as tf.TensorContainer);
      }
      return values;
    };
    const a = await loadDataset(directory, { batchSize: 4, seed: 9 });
    const b = await loadDataset(directory, { batchSize: 4, seed: 9 });
    const epochOne = await firstValues(a);
    expect(await firstValues(b)).toEqual(epochOne);
    expect(await firstValues(a)).not.toEqual(epochOne);
    const normalized = await loadDataset(directory, { batchSize: 36, normalize: true });
    for await (const batch of normalized) {
      const values = await batch.reference.data();
      const mean = Array.from(values).reduce((s, v) => s + v, 0) / values.length;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      tf.dispose(batch as unknown as tf.TensorContainer);
    }
    await expect(loadDataset(directory, { batchSize: 0 })).rejects.toThrow(/^loadDataset: batchSize/);
  });

  it('reads at most the current and the next batch ahead of the consumer (positioned reads)', async () => {
    const original = NpyRecordReader.prototype.readRecord;
    let reads = 0;
    NpyRecordReader.prototype.readRecord = function (this: NpyRecordReader, ...args) {
      reads += 1;
      return original.apply(this, args);
    };
    try {
      const dataset = await loadDataset(directory, { batchSize: 4 });
      const seen: number[] = [];
      for await (const batch of dataset) {
        seen.push(reads);
        tf.dispose(batch as unknown as tf.TensorContainer);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // 3 layers x 4 patches per batch: when batch k arrives, at most batches 0..k+1 have been read.
      for (const [k, count] of seen.entries()) expect(count).toBeLessThanOrEqual((k + 2) * 12);
      expect(reads).toBe(36 * 3);
    } finally {
      NpyRecordReader.prototype.readRecord = original;
    }
  });
});
