import { mkdir, mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from './internal/checkpoint.js';
import type { BandGrid } from './resample.js';
import { waldScene } from './scene.js';
import { splitPatches } from './split.js';
import { trainBandSynthesis } from './train.js';

let work: string;
const size = 64;
const grid = (f: (r: number, c: number) => number): BandGrid => ({
  data: Float32Array.from({ length: size * size }, (_, i) => f(Math.floor(i / size), i % size)),
  rows: size,
  cols: size,
});
const nir = grid((r, c) => 100 + 60 * Math.sin(r / 5) * Math.cos(c / 7));
const red = grid((r, c) => 60 + 30 * Math.cos(r / 9 + c / 4));
const green = grid((r, c) => 70 + 20 * Math.sin((r + c) / 6));
const swir = grid((r, c) => 0.5 * nir.data[r * size + c] + 0.3 * red.data[r * size + c]);
const scene = waldScene([nir, red, green], swir, 2, 255);
const split = splitPatches(32, 32, { patchSize: 8, blockSize: 8 });
const options = {
  config: { channels: 4, generatorBlocks: 1, criticBlocks: 1 },
  batchSize: 2,
  patchSize: 8,
  checkpointEvery: 2,
};

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'band-synthesis-train-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('trainBandSynthesis', () => {
  it('splits by blocks without overlap', () => {
    expect(split.train.length + split.validation.length + split.test.length).toBe(16);
    expect(new Set(split.blocks.splits)).toEqual(new Set(['train', 'validation', 'test']));
  });

  it('resumes a stopped run to exactly the weights and losses of an uninterrupted one', async () => {
    const straight = await trainBandSynthesis(scene, split.train, {
      ...options,
      steps: 4,
      outDir: path.join(work, 'a'),
    });
    const stopped = await trainBandSynthesis(scene, split.train, {
      ...options,
      steps: 4,
      stopAfter: 3,
      outDir: path.join(work, 'b'),
    });
    expect(stopped.step).toBe(3);
    const resumed = await trainBandSynthesis(scene, split.train, {
      ...options,
      steps: 4,
      resume: true,
      outDir: path.join(work, 'b'),
    });
    expect(resumed.startStep).toBe(3);
    expect(resumed.step).toBe(4);
    for (const network of ['generator', 'critic'] as const) {
      const a = straight.trainer[network].getWeights().map((w) => Array.from(w.dataSync()));
      const b = resumed.trainer[network].getWeights().map((w) => Array.from(w.dataSync()));
      expect(b).toEqual(a);
    }
    const log = async (run: string) =>
      (await readFile(path.join(work, run, 'train-log.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const [logA, logB] = await Promise.all([log('a'), log('b')]);
    expect(logB.map((entry) => entry.step)).toEqual([1, 2, 3, 4]);
    expect(logB).toEqual(logA);
  });

  it('keeps the last two checkpoints, ignores an unfinished one and names a truncated file', async () => {
    const root = path.join(work, 'b', 'checkpoints');
    const entries = (await readdir(root)).sort();
    expect(entries).toEqual(['latest.json', 'step-00000003', 'step-00000004']);
    // A checkpoint killed while being written stays a hidden temporary directory that nothing reads.
    await mkdir(path.join(root, '.step-00000006.123.tmp'));
    expect((await loadCheckpoint(root))?.step).toBe(4);
    await truncate(path.join(root, 'step-00000004', 'generator.weights.bin'), 10);
    await expect(loadCheckpoint(root)).rejects.toThrow(/generator\.weights\.bin has 10 bytes, expected \d+/);
  });
});
