import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRaster, readRasterInfo, writeRaster } from '@siran/geo-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built CLI (the test command builds every package before the tests run). */
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const data = fileURLToPath(new URL('../../../image-synthesis/data/', import.meta.url));
let work: string;
let landCover: string;
let dem: string;
let imagery: string;

function siran(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, SIRAN_BACKEND: 'wasm' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'siran-image-synthesis-'));
  // A 96 x 96 crop of the Zion sample keeps the test fast.
  const window = { x: 140, y: 200, width: 96, height: 96 };
  [landCover, dem, imagery] = await Promise.all(
    ['zion-landcover.tif', 'zion-dem.tif', 'zion-landsat.tif'].map(async (name) => {
      const file = path.join(work, name);
      await writeRaster(file, await readRaster(path.join(data, name), { window }));
      return file;
    }),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('siran train-image-synthesis / synthesize-image', () => {
  it('trains with checkpoints, resumes, synthesises a georeferenced GeoTIFF and refuses bad inputs', async () => {
    const common = ['--landcover', landCover, '--dem', dem];
    const train = [
      'train-image-synthesis',
      ...common,
      '--imagery',
      imagery,
      '--out',
      'model',
      '--patch',
      '16',
      '--filters',
      '4',
      '--batch',
      '2',
    ];
    const first = siran(...train, '--steps', '2');
    expect(first.stderr).toMatch(/train 2\/2/);
    expect(first.code, first.stderr).toBe(0);
    const resumed = siran(...train, '--steps', '3');
    expect(resumed.stdout).toContain('resumed at step 2');

    const synthesized = siran('synthesize-image', ...common, '--model', 'model', '--out', 'rgb.tif');
    expect(synthesized.code, synthesized.stderr).toBe(0);
    expect(synthesized.stderr).toMatch(/synthesize \d+\/\d+ 100%/);
    const info = await readRasterInfo(path.join(work, 'rgb.tif'));
    const reference = await readRasterInfo(landCover);
    expect([info.width, info.height, info.bandCount]).toEqual([96, 96, 3]);
    expect(info.transform).toEqual(reference.transform);

    const shiftedDem = await readRaster(dem);
    const t = shiftedDem.transform;
    await writeRaster(path.join(work, 'shifted.tif'), {
      ...shiftedDem,
      transform: [t[0] + 90, t[1], t[2], t[3], t[4], t[5]],
    });
    const shifted = siran(
      'synthesize-image',
      '--landcover',
      landCover,
      '--dem',
      'shifted.tif',
      '--model',
      'model',
      '--out',
      'x.tif',
    );
    expect(shifted.code).toBe(1);
    expect(shifted.stderr).toMatch(/shifted.tif .* is not on the grid of .*zion-landcover.tif/);

    const classes = await readRaster(landCover);
    classes.data.data[0] = 42;
    await writeRaster(path.join(work, 'unknown.tif'), classes);
    const unknown = siran(
      'synthesize-image',
      '--landcover',
      'unknown.tif',
      '--dem',
      dem,
      '--model',
      'model',
      '--out',
      'x.tif',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'land-cover values 42 are not in the class table; expected one of 1 (Water), 2 (Developed)',
    );

    const missing = siran('synthesize-image', ...common, '--out', 'x.tif');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--model is required');
    expect(siran('synthesize-image', '--help').stdout).toContain('Usage: siran synthesize-image');
  });
});
