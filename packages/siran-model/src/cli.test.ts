import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Raster, readRasterInfo, resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built CLI (the test command builds every package before the tests run). */
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let work: string;

function siran(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, SIRAN_BACKEND: 'wasm' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const crs = resolveCrs('EPSG:32631');
const size = 96;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'siran-cli-'));
  const height = (x: number, y: number) =>
    200 + 0.3 * x + 8 * Math.sin(x / 9) * Math.cos(y / 13) + 3 * Math.sin((x + y) / 5);
  const reference = new Float32Array(size * size);
  const guide = new Float32Array(3 * size * size);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const z = height(column, row);
      reference[row * size + column] = z;
      guide[row * size + column] = 2 * z;
      guide[size * size + row * size + column] = 400 - z;
      guide[2 * size * size + row * size + column] = (row * 7 + column * 3) % 50;
    }
  }
  const coarseSize = size / 4;
  const coarse = new Float32Array(coarseSize * coarseSize);
  for (let row = 0; row < coarseSize; row++) {
    for (let column = 0; column < coarseSize; column++)
      coarse[row * coarseSize + column] = height(column * 4 + 1.5, row * 4 + 1.5);
  }
  const grid = { transform: [500000, 1, 0, 4800000, 0, -1] as const, crs, nodata: null };
  await writeRaster(path.join(work, 'reference.tif'), {
    ...grid,
    data: ndarray(reference, [1, size, size]),
  } as Raster);
  await writeRaster(path.join(work, 'guide.tif'), {
    ...grid,
    data: ndarray(guide, [3, size, size]),
  } as Raster);
  await writeRaster(path.join(work, 'coarse.tif'), {
    data: ndarray(coarse, [1, coarseSize, coarseSize]),
    transform: [500000, 4, 0, 4800000, 0, -4],
    crs,
    nodata: null,
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('siran CLI, end to end (tiny configuration)', () => {
  it('builds a dataset, trains, predicts a GeoTIFF on the guide grid and writes an evaluation report', async () => {
    const built = siran(
      'build-dataset',
      '--hr',
      'reference.tif',
      '--degrade',
      '4',
      '--guide',
      'guide.tif',
      '--patch',
      '16',
      '--stride',
      '16',
      '--block-size',
      '32',
      '--guard-band',
      '0',
      '--out',
      'dataset',
    );
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/dataset written to dataset: \d+ patches/);

    const trained = siran(
      'train',
      '--data',
      'dataset',
      '--config',
      'tiny',
      '--steps',
      '2',
      '--out',
      'run',
      '--validate-every',
      '0',
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(existsSync(path.join(work, 'run', 'model', 'model.json'))).toBe(true);
    const log = (await readFile(path.join(work, 'run', 'train-log.jsonl'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(2);

    const predicted = siran(
      'predict',
      '--model',
      'run',
      '--coarse',
      'coarse.tif',
      '--guide',
      'guide.tif',
      '--out',
      'sr.tif',
      '--tile',
      '48',
      '--overlap',
      '16',
    );
    expect(predicted.code, predicted.stderr).toBe(0);
    const info = await readRasterInfo(path.join(work, 'sr.tif'));
    expect([info.width, info.height, info.bandCount, info.dataType]).toEqual([size, size, 1, 'float32']);
    expect(info.transform).toEqual([500000, 1, 0, 4800000, 0, -1]);
    expect(info.crs.epsg).toBe(32631);
    // The self-check's line, and the same numbers in the output's metadata.
    const line =
      /self-check one scale down \(x4\.00, \d+ coarse pixels\): model RMSE ([\d.]+) m, bicubic ([\d.]+) m, expected gain ([+-][\d.]+) %/.exec(
        predicted.stderr,
      );
    expect(line, predicted.stderr).not.toBeNull();
    expect(Number(info.metadata.SIRAN_SELF_CHECK_MODEL_RMSE)).toBeCloseTo(Number(line?.[1]), 2);
    expect(Number(info.metadata.SIRAN_SELF_CHECK_BICUBIC_RMSE)).toBeCloseTo(Number(line?.[2]), 2);
    expect(100 * Number(info.metadata.SIRAN_SELF_CHECK_EXPECTED_GAIN)).toBeCloseTo(Number(line?.[3]), 0);
    expect(info.metadata.SIRAN_FALLBACK).toBe('bicubic');
    expect(predicted.stdout).toMatch(/fallback bicubic, model share \d+ %/);

    const evaluated = siran(
      'evaluate',
      '--model',
      'run',
      '--data',
      'dataset',
      '--split',
      'test',
      '--out',
      'report',
      '--figures',
      '1',
    );
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/bicubic +RMSE [\d.]+ m/);
    const metrics = JSON.parse(await readFile(path.join(work, 'report', 'metrics.json'), 'utf8'));
    for (const method of ['model', 'bicubic']) expect(Number.isFinite(metrics[method].rmse)).toBe(true);
    expect(await readFile(path.join(work, 'report', 'report.md'), 'utf8')).toMatch(/\| Bicubic \| [\d.]+ \|/);
    // The output check's line.
    expect(predicted.stderr).toMatch(/output check: all \d+ pixels finite and within [\d.-]+ \.\. [\d.-]+ m/);
    expect(info.metadata.SIRAN_OUTPUT_CHECK).toBe('ok');

    // A report replaces an earlier report as a whole, and refuses a directory that holds anything else.
    const again = siran(
      'evaluate',
      '--model',
      'run',
      '--data',
      'dataset',
      '--split',
      'validation',
      '--out',
      'report',
      '--figures',
      '1',
    );
    expect(again.code, again.stderr).toBe(0);
    const replaced = JSON.parse(await readFile(path.join(work, 'report', 'metrics.json'), 'utf8'));
    expect(replaced.patches).not.toBe(metrics.patches);
    expect((await readdir(work)).filter((name) => name.startsWith('report.'))).toEqual([]);
    const refused = siran('evaluate', '--model', 'run', '--data', 'dataset', '--out', '.');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /\. exists and holds other files than a report \(.*\); the report replaces/,
    );
    expect(existsSync(path.join(work, 'guide.tif'))).toBe(true);
  });

  it('answers bad input with a message naming it, a non-zero exit code and no output file', async () => {
    const missing = siran(
      'predict',
      '--model',
      'run',
      '--coarse',
      'nowhere.tif',
      '--guide',
      'guide.tif',
      '--out',
      'bad.tif',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--coarse nowhere\.tif does not exist/);
    const bands = siran(
      'predict',
      '--model',
      'run',
      '--coarse',
      'coarse.tif',
      '--guide',
      'guide.tif',
      '--guide-bands',
      '4,3,2',
      '--out',
      'bad.tif',
    );
    expect(bands.code).toBe(1);
    expect(bands.stderr).toMatch(/has 3 band\(s\); guide band 4/);
    const unit = siran(
      'predict',
      '--model',
      'run',
      '--coarse',
      'coarse.tif',
      '--guide',
      'guide.tif',
      '--coarse-unit',
      'yard',
      '--out',
      'bad.tif',
    );
    expect(unit.code).toBe(2);
    expect(unit.stderr).toMatch(/--coarse-unit must be metre, foot or us-survey-foot, got "yard"/);
    expect(existsSync(path.join(work, 'bad.tif'))).toBe(false);
    const usage = siran('train', '--data');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: siran train/);
    await writeFile(path.join(work, 'model.json'), JSON.stringify({ format: 'siran-model', version: 0 }));
    const version = siran('evaluate', '--model', '.', '--data', 'dataset', '--out', 'report2');
    expect(version.code).toBe(1);
    expect(version.stderr).toMatch(
      /version 0; this version of @siran\/siran-model reads "siran-model" version 1/,
    );
  });

  it('prints help for every command', () => {
    for (const command of [
      'demo',
      'build-dataset',
      'train',
      'predict',
      'evaluate',
      'worker',
      'status',
      'mosaic',
    ]) {
      const help = siran(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: siran ${command}`));
    }
  });

  it('mosaics scenes into a VRT over their union grid, and refuses a scene off the grid', async () => {
    const scene = (x: number, name: string) =>
      writeRaster(path.join(work, name), {
        data: ndarray(new Float32Array(16 * 16).fill(x), [1, 16, 16]),
        transform: [500000 + x, 1, 0, 4800000, 0, -1],
        crs,
        nodata: -9999,
      });
    await scene(0, 'west.tif');
    await scene(16, 'east.tif');
    await scene(16.5, 'shifted.tif');
    const made = siran('mosaic', '--out', 'both.vrt', 'west.tif', 'east.tif');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toMatch(/both\.vrt: 2 scene\(s\), 32 x 16 pixels/);
    const xml = await readFile(path.join(work, 'both.vrt'), 'utf8');
    expect(xml).toContain('<DstRect xOff="16" yOff="0" xSize="16" ySize="16" />');
    expect(xml).toContain('<UnitType>m</UnitType>');
    const refused = siran('mosaic', '--out', 'bad.vrt', 'west.tif', 'shifted.tif');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /shifted\.tif is off the first source's pixel grid by -?0\.500000 pixel in x/,
    );
    expect(existsSync(path.join(work, 'bad.vrt'))).toBe(false);
    expect(siran('mosaic', '--out', 'none.vrt').code).toBe(2);
  });
});
