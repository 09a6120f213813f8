import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activateBackend } from '@siran/backend';
import { loadBandSynthesisModel } from '@siran/band-synthesis';
import { readRaster, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built CLI (the test command builds every package before the tests run). */
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const scene = fileURLToPath(new URL('../../../band-synthesis/data/L7_ETMs.tif', import.meta.url));
let work: string;
let high: string;
let low: string;
let lowCropped: string;

function siran(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, SIRAN_BACKEND: 'wasm' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'siran-band-synthesis-'));
  // A 128 x 128 crop of the Olinda scene, and its SWIR band (5) block-mean degraded by 2 on a 2x coarser grid.
  const raster = await readRaster(scene, { window: { x: 100, y: 100, width: 128, height: 128 } });
  high = path.join(work, 'high.tif');
  await writeRaster(high, raster);
  const coarse = new Float32Array(64 * 64);
  for (let r = 0; r < 64; r++)
    for (let c = 0; c < 64; c++) {
      let sum = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) sum += raster.data.get(4, 2 * r + i, 2 * c + j);
      coarse[r * 64 + c] = sum / 4;
    }
  const [x, width, , y, , height] = raster.transform;
  const lowRaster = {
    ...raster,
    data: ndarray(coarse, [1, 64, 64]),
    transform: [x, 2 * width, 0, y, 0, 2 * height] as const,
  };
  low = path.join(work, 'low.tif');
  await writeRaster(low, lowRaster);
  lowCropped = path.join(work, 'low-cropped.tif');
  await writeRaster(lowCropped, { ...lowRaster, data: ndarray(coarse.slice(0, 60 * 64), [1, 60, 64]) });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('siran train-band-synthesis / synthesize-band', () => {
  it('trains, synthesises a georeferenced float32 band and names bad input', async () => {
    expect(siran('synthesize-band', '--help').stdout).toMatch(/Usage: siran synthesize-band --model DIR/);
    const train = siran('train-band-synthesis', '--source', high, '--out', 'run', '--steps', '2');
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/trained steps 1-2/);
    const model = path.join(work, 'run', 'model');
    const out = path.join(work, 'swir.tif');
    const run = siran(
      'synthesize-band',
      '--model',
      model,
      '--bands',
      high,
      '--low',
      low,
      '--out',
      out,
      '--tile',
      '64',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/ratio 2/);
    const written = await readRaster(out);
    expect(written.data.shape).toEqual([1, 128, 128]);
    expect(written.data.data).toBeInstanceOf(Float32Array);
    expect(written.transform).toEqual((await readRaster(high)).transform);

    const notCoarser = siran(
      'synthesize-band',
      '--model',
      model,
      '--bands',
      high,
      '--low',
      high,
      '--out',
      out,
    );
    expect(notCoarser.code).toBe(2);
    expect(notCoarser.stderr).toMatch(/the LR band is not coarser than the HR bands/);
    const mismatch = siran(
      'synthesize-band',
      '--model',
      model,
      '--bands',
      high,
      '--low',
      lowCropped,
      '--out',
      out,
    );
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/do not match at ratio 2/);
    const missing = siran(
      'synthesize-band',
      '--model',
      model,
      '--bands',
      high,
      '--low',
      low,
      '--out',
      out,
      '--nir',
      '9',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--nir 9: .* has 6 band\(s\); the nir band is missing/);
    const missingSource = siran('train-band-synthesis', '--source', high, '--out', 'run2', '--swir', '8');
    expect(missingSource.code).toBe(2);
    expect(missingSource.stderr).toMatch(/target band 8 is missing/);
  });

  it('trains on a scene of another value scale and band order (Sentinel-2 reflectance x 1000) and records the scale', async () => {
    const sentinel = fileURLToPath(
      new URL('../../../band-synthesis/data/S2_Aberystwyth_20m.tif', import.meta.url),
    );
    const crop = await readRaster(sentinel, { window: { x: 0, y: 0, width: 128, height: 128 } });
    const file = path.join(work, 's2.tif');
    await writeRaster(file, crop);
    const bands = ['--nir', '3', '--red', '2', '--green', '1', '--swir', '4'];
    const refused = siran(
      'train-band-synthesis',
      '--source',
      file,
      '--out',
      's2run',
      '--value-scale',
      '0',
      ...bands,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--value-scale must be a positive number, got "0"/);
    const train = siran(
      'train-band-synthesis',
      '--source',
      file,
      '--out',
      's2run',
      '--steps',
      '1',
      '--value-scale',
      '1000',
      ...bands,
    );
    expect(train.code, train.stderr).toBe(0);
    await activateBackend('cpu', { ignoreEnvironment: true });
    const model = await loadBandSynthesisModel(path.join(work, 's2run', 'model'));
    expect(model.valueScale).toBe(1000);
  });
});
