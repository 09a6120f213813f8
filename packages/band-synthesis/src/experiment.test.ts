import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mndwi, scoreBand } from './evaluate.js';
import { runWaldExperiment } from './experiment.js';
import { createScene } from './scene.js';

let work: string;
beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'band-synthesis-experiment-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('evaluation', () => {
  it('scores a perfect band as perfect, an offset band by closed forms, and computes MNDWI', () => {
    const band = (f: (i: number) => number, side = 12) => ({
      data: Float32Array.from({ length: side * side }, (_, i) => f(i)),
      rows: side,
      cols: side,
    });
    const reference = band((i) => 4 + (i % 7));
    const scene = createScene(
      [band((i) => 1 + (i % 5)), band(() => 2), band((i) => 3 - (i % 2))],
      band(() => 5, 6),
      {
        ratio: 2,
        valueScale: 1,
        reference,
      },
    );
    const scores = scoreBand(reference, scene, { dataRange: 10 });
    expect(scores.rmse).toBe(0);
    expect(scores.sam).toBe(0);
    expect(scores.sre).toBe(Number.POSITIVE_INFINITY);
    expect(scores.ssimPercent).toBeCloseTo(100, 6);
    const off = scoreBand(
      band((i) => 5 + (i % 7)),
      scene,
      { dataRange: 10 },
    );
    expect(off.rmse).toBeCloseTo(1, 6);
    expect(off.psnr).toBeCloseTo(20, 5);
    const power = Array.from(reference.data).reduce((a, v) => a + v * v, 0) / reference.data.length;
    expect(off.sre).toBeCloseTo(10 * Math.log10(power), 4);
    const two = (values: number[]) => ({ data: Float32Array.from(values), rows: 2, cols: 2 });
    expect(Array.from(mndwi(two([1, 3, 0, 2]), two([1, 1, 0, 6])).data)).toEqual([0, 0.5, 0, -0.5]);
  });

  it('runs the Wald experiment on the Olinda scene end to end (two steps, tiny networks)', async () => {
    const messages: string[] = [];
    const result = await runWaldExperiment({
      source: new URL('../data/L7_ETMs.tif', import.meta.url).pathname,
      outDir: work,
      steps: 2,
      batchSize: 2,
      config: { channels: 4, generatorBlocks: 1, criticBlocks: 1 },
      onProgress: (message) => messages.push(message),
    });
    expect(result.methods.map((m) => m.name)).toEqual(['bicubic', 'residual CNN', 'S2A']);
    for (const method of result.methods)
      for (const value of Object.values(method.test)) expect(Number.isFinite(value)).toBe(true);
    expect(messages[0]).toMatch(/training grid 176 x 174/);
    const report = await readFile(result.report, 'utf8');
    expect(report).toMatch(/\| S2A \|/);
    for (const file of ['composites.png', 'errors.png', 'mndwi.png', 's2a-swir.tif', 's2a/model/latest.json'])
      await access(path.join(work, file));
  });
});
