import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneHot } from './normalization.js';
import type { SynthesisScene } from './scene.js';
import { batchIndices, trainSpadeGan } from './train.js';

let folder: string;
beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  folder = await mkdtemp(path.join(tmpdir(), 'image-synthesis-train-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A 32 x 32 synthetic scene: two classes in halves, a ramp DEM, an image coloured by class. */
function syntheticScene(): SynthesisScene {
  const side = 32;
  const classes = new Int32Array(side * side).map((_, i) => (i % side < side / 2 ? 0 : 1));
  const dem = new Float32Array(side * side).map((_, i) => Math.floor(i / side) / side - 0.5);
  const image = new Float32Array(side * side * 3).map((_, i) =>
    classes[Math.floor(i / 3)] === 0 ? -0.5 : 0.5,
  );
  expect(oneHot(classes, 2)).toHaveLength(side * side * 2);
  return {
    height: side,
    width: side,
    classes,
    dem,
    image,
    bands: 3,
    classTable: [
      { value: 1, name: 'a' },
      { value: 2, name: 'b' },
    ],
    demNormalization: { mean: 0, scale: 1 },
    imageryNormalization: { kind: 'optical', low: [0, 0, 0], high: [1, 1, 1] },
    grid: {
      transform: [0, 1, 0, 0, 0, -1],
      crs: { proj4: '+proj=longlat', epsg: null, wkt: null, name: null },
    },
  };
}

describe('trainSpadeGan', () => {
  it('draws every patch once per epoch, reproducibly', () => {
    const epoch = [0, 1, 2].flatMap((step) => batchIndices(6, step, 2, 4));
    expect([...epoch].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batchIndices(6, 5, 2, 4)).toEqual(batchIndices(6, 5, 2, 4));
  });

  it('resumes from the last checkpoint exactly as an uninterrupted run', async () => {
    const scene = syntheticScene();
    const patches = [0, 16].flatMap((row) => [0, 16].map((column) => ({ row, column })));
    const gan = {
      generator: {
        size: 16,
        baseFilters: 4,
        downsamplings: 1,
        residualBlocks: 1,
        spadeHiddenChannels: 4,
        seed: 2,
      },
      discriminator: { baseFilters: 4, stridedLayers: 1 },
    };
    const base = { scene, patches, gan, batchSize: 2, seed: 1, checkpointEvery: 2 };
    const straight = await trainSpadeGan({ ...base, steps: 4 });
    const interrupted = path.join(folder, 'run');
    const first = await trainSpadeGan({ ...base, steps: 2, checkpointDirectory: interrupted });
    expect(first.resumedFrom).toBe(0);
    first.gan.dispose();
    // A checkpoint being written when the process was killed: a temporary directory with a partial file.
    const partial = path.join(interrupted, '.step-00000003.12345.tmp');
    await mkdir(partial);
    await writeFile(path.join(partial, 'generator.json'), '{"modelTop');
    const resumed = await trainSpadeGan({ ...base, steps: 4, checkpointDirectory: interrupted });
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.history).toHaveLength(2);
    expect(resumed.history[1].generator).toBeCloseTo(straight.history[3].generator, 5);
    const a = straight.gan.generator.getWeights();
    const b = resumed.gan.generator.getWeights();
    const worst = Math.max(...a.map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w, b[i]))).dataSync()[0])));
    expect(worst).toBeLessThan(1e-6);
    const entries = (await readdir(interrupted)).filter((entry) => !entry.endsWith('.tmp')).sort();
    expect(entries).toEqual(['latest.json', 'step-00000002', 'step-00000004']);
    straight.gan.dispose();
    resumed.gan.dispose();
  });
});
