import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCrs } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatasetFromSources } from './build-from-sources.js';
import { loadDataset } from './load-dataset.js';
import { readManifest } from './manifest.js';
import { writeNpy } from './npy-format.js';
import { parseNpyHeader } from './npy-header.js';
import { rasterSourceFromRaster } from './raster-source.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, damaged field by field
type Json = any;

let root: string;
let original: string;
let copies = 0;
const size = 16;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'load-dataset-corrupt-'));
  original = join(root, 'dataset');
  const crs = resolveCrs('EPSG:32631');
  const width = 64;
  const heights = Float32Array.from({ length: width * width }, (_, i) => ((i * 7919) % 1009) / 7);
  const guide = new Float32Array(3 * heights.length);
  for (let i = 0; i < guide.length; i += 1) guide[i] = (i * 31) % 255;
  const transform = [500000, 1, 0, 4800000, 0, -1] as const;
  const dem = rasterSourceFromRaster({
    data: ndarray(heights, [1, width, width]),
    transform,
    crs,
    nodata: null,
  });
  await buildDatasetFromSources(
    [
      {
        name: 'scene',
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
    original,
    {
      patch: { size, stride: size },
      split: { blockSize: 32, guardBand: 0, fractions: { train: 1, validation: 0, test: 0 } },
    },
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh copy of the dataset, and its manifest as plain JSON to damage. */
async function copyDataset(): Promise<{ directory: string; manifestPath: string; manifest: Json }> {
  copies += 1;
  const directory = join(root, `copy-${copies}`);
  await cp(original, directory, { recursive: true });
  const manifestPath = join(directory, 'manifest.json');
  return { directory, manifestPath, manifest: JSON.parse(await readFile(manifestPath, 'utf8')) };
}

const escaped = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Reads every batch of one epoch and disposes it. */
async function drain(directory: string, options: Parameters<typeof loadDataset>[1] = {}): Promise<number> {
  let batches = 0;
  for await (const batch of await loadDataset(directory, { batchSize: 4, ...options })) {
    tf.dispose(batch as unknown as tf.TensorContainer);
    batches += 1;
  }
  return batches;
}

describe('corrupt and inconsistent dataset directories', () => {
  it('refuses a truncated, empty or missing manifest.json with its path', async () => {
    const { directory, manifestPath } = await copyDataset();
    const text = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, text.slice(0, Math.floor(text.length / 2)));
    const notJson = new RegExp(`readManifest: ${escaped(manifestPath)} is not valid JSON`);
    await expect(readManifest(directory)).rejects.toThrow(notJson);
    await expect(loadDataset(directory)).rejects.toThrow(notJson);
    await writeFile(manifestPath, '');
    await expect(readManifest(directory)).rejects.toThrow(notJson);
    await rm(manifestPath);
    await expect(loadDataset(directory)).rejects.toThrow(/has no readable manifest\.json \(ENOENT\)/);
  });

  it('names the manifest and the field that is missing, wrongly typed or inconsistent', async () => {
    const { directory, manifestPath, manifest } = await copyDataset();
    const cases: Array<[(m: Json) => void, RegExp]> = [
      [
        (m) => delete m.splits.train.count,
        /field "splits\.train\.count" is missing; expected an integer >= 0/,
      ],
      [(m) => (m.patch.size = '16'), /field "patch\.size" is "16"; expected a positive integer/],
      [(m) => (m.splits.test = null), /field "splits\.test" is null; expected an object/],
      [
        (m) => (m.splits.train.files.guide = 7),
        /field "splits\.train\.files\.guide" is 7; expected a string/,
      ],
      [
        (m) => (m.splits.train.files.guide = '../../outside.npy'),
        /field "splits\.train\.files\.guide" is "\.\.\/\.\.\/outside\.npy"; expected a path inside the dataset directory/,
      ],
      [
        (m) => (m.normalization.guide = [m.normalization.guide[0]]),
        /"normalization\.guide" is an array of 1 entries; expected an array of 3/,
      ],
      [
        (m) => (m.normalization.elevation.mean = 'high'),
        /"normalization\.elevation\.mean" is "high"; expected a finite number/,
      ],
      [
        (m) => m.splits.train.patches.pop(),
        /"splits\.train\.patches" is an array of 15 entries; expected 16 entries, one per patch/,
      ],
      [(m) => (m.counts.kept += 1), /field "counts\.kept" is 17; expected 16, the sum of splits/],
      [(m) => (m.scenes[0].counts.kept = 3), /field "counts\.kept" is 16; expected 3, the sum of scenes/],
      [
        (m) => (m.scenes[0].grid.transform = [1, 2]),
        /"scenes\[0\]\.grid\.transform" is an array of 2 entries/,
      ],
      [(m) => (m.version = 2), /holds format siran-dem-sr-dataset v2; expected siran-dem-sr-dataset v1/],
    ];
    for (const [damage, pattern] of cases) {
      const copy = structuredClone(manifest);
      damage(copy);
      await writeFile(manifestPath, JSON.stringify(copy));
      await expect(loadDataset(directory)).rejects.toThrow(pattern);
      if (copy.version === 1) {
        await expect(readManifest(directory)).rejects.toThrow(
          new RegExp(`^readManifest: ${escaped(manifestPath)} field`),
        );
      }
    }
  });

  it('refuses split files that are missing, truncated or whose shape disagrees with the manifest', async () => {
    const { directory, manifestPath } = await copyDataset();
    const guide = join(directory, 'train', 'guide.npy');
    const reference = join(directory, 'train', 'reference.npy');
    const saved = await readFile(reference);
    await rm(guide);
    await expect(loadDataset(directory)).rejects.toThrow(
      new RegExp(
        `loadDataset: ${escaped(manifestPath)} field "splits\\.train\\.files\\.guide" names train/guide\\.npy, which does not exist`,
      ),
    );
    await writeNpy(guide, new Float32Array(16 * size * size), [16, size, size, 1]);
    await expect(loadDataset(directory)).rejects.toThrow(
      new RegExp(
        `${escaped(guide)} has shape \\[16, 16, 16, 1\\], but ${escaped(manifestPath)} field "patch\\.size" is 16`,
      ),
    );
    await writeNpy(guide, new Float32Array(15 * size * size * 3), [15, size, size, 3]);
    await expect(loadDataset(directory)).rejects.toThrow(
      new RegExp(
        `${escaped(guide)} holds 15 patches .* field "splits\\.train\\.count" is 16; expected shape \\[16, 16, 16, 3\\]`,
      ),
    );
    await writeNpy(guide, new Float32Array(16 * size * size * 3), [16, size, size, 3]);
    expect(await drain(directory)).toBe(4);
    await writeFile(reference, saved.subarray(0, saved.length - 100));
    await expect(loadDataset(directory)).rejects.toThrow(
      new RegExp(
        `${escaped(reference)} is truncated: shape \\[16, 16, 16, 1\\] needs 16384 bytes of data after the header, the file has 16284`,
      ),
    );
  });

  it('fails an epoch whose file is truncated while it is read instead of yielding zeros', async () => {
    const { directory } = await copyDataset();
    const reference = join(directory, 'train', 'reference.npy');
    const { dataOffset } = parseNpyHeader(await readFile(reference));
    const dataset = await loadDataset(directory, { batchSize: 2, shuffle: false });
    let batches = 0;
    const epoch = (async () => {
      for await (const batch of dataset) {
        tf.dispose(batch as unknown as tf.TensorContainer);
        batches += 1;
        if (batches === 1) await truncate(reference, dataOffset + size * size * 4);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await expect(epoch).rejects.toThrow(
      new RegExp(`${escaped(reference)} is truncated: record \\d+ of shape`),
    );
    expect(batches).toBeLessThanOrEqual(2);
  });

  it('refuses to normalise with the statistics of an empty training split', async () => {
    const { directory, manifestPath, manifest } = await copyDataset();
    manifest.normalization.elevation = {
      count: 0,
      mean: null,
      standardDeviation: null,
      minimum: null,
      maximum: null,
    };
    await writeFile(manifestPath, JSON.stringify(manifest));
    expect(await drain(directory)).toBe(4);
    await expect(loadDataset(directory, { normalize: true })).rejects.toThrow(
      /cannot normalize: .*manifest\.json field "normalization\.elevation\.mean" is null; expected a finite number/,
    );
  });

  it('still reads the untouched dataset', async () => {
    expect(await drain(original, { normalize: true })).toBe(4);
  });
});
