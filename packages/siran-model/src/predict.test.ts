import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { rasterSourceFromRaster } from '@siran/dataset-builder';
import { type Raster, readRaster, readRasterInfo, resolveCrs, writeRaster } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel, type SiranModel } from './model.js';
import { encodePrediction, predictRaster, predictScene, recommendedTileSize, tileStarts } from './predict.js';

let work: string;
let model: SiranModel;
const crs = resolveCrs('EPSG:32631');
const size = 72;

/** Writes a smooth coarse DEM (4 m cells, a nodata corner) and a 3-band 1 m guide over the same area. */
async function writeInputs(coarseOrigin: [number, number] = [500000, 4800000]) {
  const coarseSize = size / 4;
  const coarse = new Float32Array(coarseSize * coarseSize);
  for (let row = 0; row < coarseSize; row++) {
    for (let column = 0; column < coarseSize; column++) {
      coarse[row * coarseSize + column] =
        row < 3 && column < 3 ? -32768 : 300 + 10 * Math.sin(row / 3) + 6 * Math.cos(column / 4);
    }
  }
  const guide = new Float32Array(3 * size * size);
  for (let i = 0; i < guide.length; i++) guide[i] = 100 + 50 * Math.sin(i / 97) + (i % 7);
  const coarseRaster: Raster = {
    data: ndarray(coarse, [1, coarseSize, coarseSize]),
    transform: [coarseOrigin[0], 4, 0, coarseOrigin[1], 0, -4],
    crs,
    nodata: -32768,
  };
  const guideRaster: Raster = {
    data: ndarray(guide, [3, size, size]),
    transform: [500000, 1, 0, 4800000, 0, -1],
    crs,
    nodata: null,
  };
  const coarsePath = path.join(work, `coarse-${coarseOrigin[0]}.tif`);
  const guidePath = path.join(work, 'guide.tif');
  await writeRaster(coarsePath, coarseRaster);
  await writeRaster(guidePath, guideRaster);
  return { coarsePath, guidePath };
}

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-predict-'));
  // A model whose every part is local (no FSGT, no discriminator attention), so tiling can be compared exactly.
  model = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt', 'no-dsa'], offsetWindow: 5 });
});

afterAll(async () => {
  disposeSiranModel(model);
  await rm(work, { recursive: true, force: true });
});

describe('tileStarts', () => {
  it('steps by tile - overlap and ends flush with the scene', () => {
    expect(tileStarts(100, 40, 10)).toEqual([0, 30, 60]);
    expect(tileStarts(30, 40, 10)).toEqual([0]);
    expect(tileStarts(128, 64, 32)).toEqual([0, 32, 64]);
  });
});

describe('recommendedTileSize', () => {
  it('is 256 px for a convolutional model and 128 px where attention sees the whole tile', () => {
    expect(recommendedTileSize(model)).toBe(256);
    for (const ablations of [['no-dsa'], ['no-fsgt']] as const) {
      const attention = createSiranModel({ preset: 'tiny', ablations: [...ablations] });
      expect(recommendedTileSize(attention), ablations.join()).toBe(128);
      disposeSiranModel(attention);
    }
  });
});

describe('predictScene', () => {
  it('writes a GeoTIFF on the guide grid whose tiled prediction matches a single-tile one away from borders', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const tiledPath = path.join(work, 'tiled.tif');
    const wholePath = path.join(work, 'whole.tif');
    const tiled = await predictScene(model, coarsePath, guidePath, tiledPath, { tile: 32, overlap: 16 });
    expect(tiled.tiles).toBe(16);
    await predictScene(model, coarsePath, guidePath, wholePath, { tile: size, overlap: 0 });
    const info = await readRasterInfo(tiledPath);
    expect([info.width, info.height, info.bandCount]).toEqual([size, size, 1]);
    expect(info.transform).toEqual([500000, 1, 0, 4800000, 0, -1]);
    expect(info.crs.epsg).toBe(32631);
    expect(info.nodata).toBe(-9999);
    const [a, b] = await Promise.all([readRaster(tiledPath), readRaster(wholePath)]);
    let compared = 0;
    // The moving mean and the model see a few pixels around each one: skip a border of 8 pixels.
    for (let row = 8; row < size - 8; row++) {
      for (let column = 8; column < size - 8; column++) {
        const expected = b.data.get(0, row, column);
        if (expected === -9999) continue;
        expect(Math.abs(a.data.get(0, row, column) - expected)).toBeLessThan(1e-3);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(1500);
    // The coarse nodata corner stays nodata; every other pixel has a value.
    expect(a.data.get(0, 2, 2)).toBe(-9999);
    expect(Number.isFinite(a.data.get(0, 40, 40)) && a.data.get(0, 40, 40) !== -9999).toBe(true);
  });

  it('refuses inputs that do not overlap, or a guide without the bands asked for, and writes nothing', async () => {
    const { coarsePath, guidePath } = await writeInputs([600000, 4800000]);
    const out = path.join(work, 'refused.tif');
    await expect(predictScene(model, coarsePath, guidePath, out)).rejects.toThrow(
      /does not overlap the guide/,
    );
    await expect(predictScene(model, coarsePath, guidePath, out, { guideBands: [3, 1, 0] })).rejects.toThrow(
      /has 3 band\(s\); guide band 4/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses, before any work, a guide of another range than trained, and heights that are not metres', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const out = path.join(work, 'checked.tif');
    // The guide holds 8-bit-like values (mean about 100); a model trained on 16-bit reflectance refuses it.
    const trained = createSiranModel(
      { preset: 'tiny', ablations: ['no-fsgt', 'no-dsa'], offsetWindow: 5 },
      { guideMean: [2500, 1800, 1500], guideStandardDeviation: [600, 500, 400] },
    );
    await expect(predictScene(trained, coarsePath, guidePath, out)).rejects.toThrow(
      /the guide .*guide\.tif is not in the range the model was trained on: band 1 \(NIR\) has mean 10\d\.?\d* and standard deviation .*trained on mean 2500 and standard deviation 600/,
    );
    await predictScene(trained, coarsePath, guidePath, out, { checkInputs: false, selfCheck: false });
    expect(existsSync(out)).toBe(true);
    disposeSiranModel(trained);
    // Heights in centimetres.
    const coarse = await readRaster(coarsePath);
    const centimetres = path.join(work, 'coarse-cm.tif');
    await writeRaster(centimetres, {
      ...coarse,
      data: ndarray(
        Float32Array.from(coarse.data.data, (v) => (v === -32768 ? v : v * 100)),
        coarse.data.shape,
      ),
    });
    await expect(predictScene(model, centimetres, guidePath, path.join(work, 'cm.tif'))).rejects.toThrow(
      /the coarse DEM .*coarse-cm\.tif has heights from 2\d{4}\.\d to 3\d{4}\.\d m, outside the -1000\.\.9000 m/,
    );
    expect(existsSync(path.join(work, 'cm.tif'))).toBe(false);
  });

  it('takes heights in feet when told so, and refuses to guess them from a CRS in feet', async () => {
    const feetCrs = resolveCrs('EPSG:2994');
    const { coarsePath, guidePath } = await writeInputs();
    const [coarse, guide] = await Promise.all([readRaster(coarsePath), readRaster(guidePath)]);
    const inFeet = path.join(work, 'coarse-ft.tif');
    const inMetres = path.join(work, 'coarse-ft-as-m.tif');
    const guideFeet = path.join(work, 'guide-ft.tif');
    await writeRaster(inFeet, { ...coarse, crs: feetCrs });
    await writeRaster(inMetres, {
      ...coarse,
      crs: feetCrs,
      data: ndarray(
        Float32Array.from(coarse.data.data, (v) => (v === -32768 ? v : v * 0.3048)),
        coarse.data.shape,
      ),
    });
    await writeRaster(guideFeet, { ...guide, crs: feetCrs });
    await expect(predictScene(model, inFeet, guideFeet, path.join(work, 'ft.tif'))).rejects.toThrow(
      /the coarse DEM .*coarse-ft\.tif is in a CRS whose units are 0\.3048 m .*say which \(coarseVerticalUnit 'foot'/,
    );
    const options = { fallback: 'none', tile: 32, overlap: 16 } as const;
    const a = path.join(work, 'from-feet.tif');
    const b = path.join(work, 'from-metres.tif');
    await predictScene(model, inFeet, guideFeet, a, { ...options, coarseVerticalUnit: 'foot' });
    await predictScene(model, inMetres, guideFeet, b, { ...options, coarseVerticalUnit: 'metre' });
    const [fromFeet, fromMetres] = await Promise.all([readRaster(a), readRaster(b)]);
    let compared = 0;
    fromFeet.data.data.forEach((value, i) => {
      if (value === -9999) return;
      expect(Math.abs(value - fromMetres.data.data[i])).toBeLessThan(1e-3);
      compared += 1;
    });
    expect(compared).toBeGreaterThan(4000);
  });
});

describe('predictScene output check', () => {
  /** A copy of the test model whose last generator layer is scaled (huge heights) or made NaN. */
  function brokenModel(kind: 'huge' | 'nan'): SiranModel {
    const broken = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt', 'no-dsa'], offsetWindow: 5 });
    broken.generator.setWeights(model.generator.getWeights());
    const last = broken.generator.layers.filter((layer) => layer.getWeights().length > 0).at(-1)!;
    last.setWeights(last.getWeights().map((w) => (kind === 'huge' ? tf.mul(w, 1e5) : tf.add(w, Number.NaN))));
    return broken;
  }

  it('passes a sane prediction and writes the check into the metadata', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const out = path.join(work, 'sane.tif');
    const result = await predictScene(model, coarsePath, guidePath, out, { selfCheck: false });
    expect(result.outputCheck.ok).toBe(true);
    expect(result.outputCheck.pixels).toBe(result.validPixels);
    // The coarse heights lie in 300 +- 16 m: the plausible range is that widened by 100 m.
    expect(result.outputCheck.plausibleMinimum).toBeGreaterThan(180);
    expect(result.outputCheck.plausibleMaximum).toBeLessThan(420);
    const info = await readRasterInfo(out);
    expect(info.metadata['SIRAN_OUTPUT_CHECK']).toBe('ok');
    expect(info.metadata['SIRAN_OUTPUT_IMPLAUSIBLE']).toBe('0');
  });

  it('flags heights far outside the input and non-finite values, and with strict writes nothing', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    for (const kind of ['huge', 'nan'] as const) {
      const broken = brokenModel(kind);
      const out = path.join(work, `broken-${kind}.tif`);
      const options = { selfCheck: false } as const;
      await expect(
        predictScene(broken, coarsePath, guidePath, out, { ...options, strict: true }),
      ).rejects.toThrow(
        kind === 'huge'
          ? /failed the output check: of \d+ pixels, \d+ outside the plausible range .*refused \(strict\), nothing written/
          : /failed the output check: of \d+ pixels, \d+ non-finite .*refused \(strict\)/,
      );
      expect(existsSync(out), kind).toBe(false);
      const flagged = await predictScene(broken, coarsePath, guidePath, out, options);
      expect(flagged.outputCheck.ok).toBe(false);
      const counted = kind === 'huge' ? flagged.outputCheck.implausible : flagged.outputCheck.nonFinite;
      expect(counted).toBeGreaterThan(0.9 * flagged.outputCheck.pixels);
      const info = await readRasterInfo(out);
      expect(info.metadata['SIRAN_OUTPUT_CHECK']).toBe('flagged');
      disposeSiranModel(broken);
    }
  });
});

describe('predictScene resume', () => {
  it('reuses the rows of tiles an interrupted run finished, and gives the same output as an uninterrupted run', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const options = { tile: 24, overlap: 8, batch: 2, fallback: 'none' } as const;
    const reference = path.join(work, 'resume-reference.tif');
    const first = await predictScene(model, coarsePath, guidePath, reference, options);
    expect(first.reusedRows).toBe(0);
    expect(existsSync(`${reference}.partial`)).toBe(false);
    const out = path.join(work, 'resumed.tif');
    // Interrupted after 9 of the 16 tiles (rows of 4): two rows of tiles are finished.
    const interrupt = (done: number, _total: number, stage: string) => {
      if (stage === 'predict' && done === 9) throw new Error('interrupted');
    };
    await expect(
      predictScene(model, coarsePath, guidePath, out, { ...options, onProgress: interrupt }),
    ).rejects.toThrow('interrupted');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(true);
    const resumed = await predictScene(model, coarsePath, guidePath, out, options);
    expect(resumed.reusedRows).toBe(2);
    expect(resumed.tiles).toBe(first.tiles - 8);
    expect(resumed.validPixels).toBe(first.validPixels);
    expect(resumed.outputCheck).toEqual(first.outputCheck);
    expect(resumed.metadata).toEqual(first.metadata);
    const [a, b] = await Promise.all([readRaster(reference), readRaster(out)]);
    expect(Buffer.from(b.data.data.buffer).equals(Buffer.from(a.data.data.buffer))).toBe(true);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('predicts again what another prediction, or a damaged row, left', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const options = { tile: 24, overlap: 8, batch: 2, fallback: 'none' } as const;
    const out = path.join(work, 'changed.tif');
    const interrupt = (done: number, _total: number, stage: string) => {
      if (stage === 'predict' && done === 9) throw new Error('interrupted');
    };
    await expect(
      predictScene(model, coarsePath, guidePath, out, { ...options, onProgress: interrupt }),
    ).rejects.toThrow('interrupted');
    // Other options: nothing is reused.
    const other = await predictScene(model, coarsePath, guidePath, out, { ...options, overlap: 6 });
    expect(other.reusedRows).toBe(0);
    await expect(
      predictScene(model, coarsePath, guidePath, out, { ...options, onProgress: interrupt }),
    ).rejects.toThrow('interrupted');
    // A damaged row is predicted again; the other is reused.
    await writeFile(path.join(`${out}.partial`, 'row-1.f32'), Buffer.alloc(16));
    const repaired = await predictScene(model, coarsePath, guidePath, out, options);
    expect(repaired.reusedRows).toBe(1);
    const reference = path.join(work, 'changed-reference.tif');
    await predictScene(model, coarsePath, guidePath, reference, { ...options, resume: false });
    expect(existsSync(`${reference}.partial`)).toBe(false);
    const [a, b] = await Promise.all([readRaster(reference), readRaster(out)]);
    expect(Buffer.from(b.data.data.buffer).equals(Buffer.from(a.data.data.buffer))).toBe(true);
  });
});

describe('predictScene over HTTP', () => {
  it('reads the coarse DEM and the guide from URLs by range requests, with the same output as from files', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const files: Record<string, Buffer> = {
      '/coarse.tif': await readFile(coarsePath),
      '/guide.tif': await readFile(guidePath),
    };
    let ranges = 0;
    const server = createServer((request, response) => {
      const file = files[request.url ?? ''];
      if (!file) {
        response.writeHead(404).end();
        return;
      }
      const range = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '');
      if (!range) {
        response.writeHead(200, { 'Content-Length': file.length }).end(file);
        return;
      }
      ranges += 1;
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), file.length - 1);
      response
        .writeHead(206, {
          'Content-Range': `bytes ${start}-${end}/${file.length}`,
          'Content-Length': end - start + 1,
          'Accept-Ranges': 'bytes',
        })
        .end(file.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const options = { tile: 32, overlap: 8, fallback: 'none' } as const;
      const local = path.join(work, 'http-local.tif');
      const remote = path.join(work, 'http-remote.tif');
      await predictScene(model, coarsePath, guidePath, local, options);
      await predictScene(model, `${base}/coarse.tif`, `${base}/guide.tif`, remote, options);
      expect(ranges).toBeGreaterThan(0);
      const [a, b] = await Promise.all([readRaster(local), readRaster(remote)]);
      expect(Buffer.from(b.data.data.buffer).equals(Buffer.from(a.data.data.buffer))).toBe(true);
      await expect(
        predictScene(model, `${base}/missing.tif`, `${base}/guide.tif`, path.join(work, 'http-missing.tif')),
      ).rejects.toThrow(/missing\.tif/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('predictRaster', () => {
  it('predicts rasters in memory exactly as predictScene does from files, and encodes to the same GeoTIFF', async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const options = { tile: 32, overlap: 8 } as const;
    const out = path.join(work, 'memory-file.tif');
    const written = await predictScene(model, coarsePath, guidePath, out, options);
    const coarse = await readRaster(toArrayBuffer(await readFile(coarsePath)));
    const guide = rasterSourceFromRaster(
      await readRaster(toArrayBuffer(await readFile(guidePath))),
      'guide.tif',
    );
    const { raster, ...result } = await predictRaster(model, coarse, guide, options);
    expect(result.metadata).toEqual(written.metadata);
    expect(result.validPixels).toBe(written.validPixels);
    const fromFile = await readRaster(out);
    expect(Buffer.from(raster.data.data.buffer).equals(Buffer.from(fromFile.data.data.buffer))).toBe(true);
    const bytes = await encodePrediction(raster, result.metadata);
    expect(Buffer.from(bytes).equals(await readFile(out))).toBe(true);
  });

  it("stops between tiles when its signal is aborted, with the signal's reason", async () => {
    const { coarsePath, guidePath } = await writeInputs();
    const coarse = await readRaster(coarsePath);
    const guide = rasterSourceFromRaster(await readRaster(guidePath), 'guide.tif');
    const controller = new AbortController();
    let tiles = 0;
    await expect(
      predictRaster(model, coarse, guide, {
        tile: 32,
        overlap: 8,
        selfCheck: false,
        signal: controller.signal,
        onProgress: () => {
          tiles += 1;
          if (tiles === 2) controller.abort(new Error('cancelled by the user'));
        },
      }),
    ).rejects.toThrow('cancelled by the user');
    expect(tiles).toBe(2);
  });
});

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
