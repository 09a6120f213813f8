import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CampaignReport,
  campaignPlans,
  type FuzzFormat,
  type GeneratedFiles,
  planSubjects,
  prepareGeneratedFiles,
  ReaderPool,
  runCampaign,
} from './internal/fuzz-campaign.js';
import { lazReference, parseTiffStructure, valuesDigest } from './internal/fuzz-helpers.js';
import { readPointCloud } from './read-point-cloud.js';
import { readRaster, readRasterInfo } from './read-raster.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const fixtureBytes = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const arrayBuffer = (bytes: Uint8Array) =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

const directory = mkdtempSync(join(tmpdir(), 'geo-io-fuzz-'));
let pool: ReaderPool;
let generated: GeneratedFiles;

beforeAll(async () => {
  pool = new ReaderPool(2, 5000);
  generated = await prepareGeneratedFiles(pool, join(directory, 'generated'));
}, 60_000);
afterAll(() => {
  pool?.close();
  rmSync(directory, { recursive: true, force: true });
});

/**
 * A seeded sample of the slow lane's campaign (read-fuzz.slow.test.ts) without GDAL: every mutant is read in
 * a child process under a 5 s limit and must be refused with an error of the documented kind (the reader's
 * name, then the file), or, when the mutation only cut the file short (or touched a model, whose checksums
 * cover every weight), read exactly as the untouched file reads.
 */
async function sample(formats: readonly FuzzFormat[], files: number, seed: number): Promise<CampaignReport> {
  const plans = campaignPlans(FIXTURES, generated).filter(
    // autzen_trim.laz (110 000 points) is left to the slow lane.
    (plan) => formats.includes(plan.format) && basename(plan.original) !== 'autzen_trim.laz',
  );
  const report = await runCampaign(planSubjects(files, plans, seed), {
    pool,
    directory: join(directory, `mutants-${seed}`),
    reference: 'original',
    roundSize: 100,
  });
  const problems = report.findings.map(
    (finding) => `${finding.subject} (${finding.mutation}): ${finding.problem}`,
  );
  expect(problems).toEqual([]);
  expect(report.totals.files).toBe(files);
  expect(report.totals.accepted + report.totals.rejected).toBe(files);
  return report;
}

describe('fuzzing the readers with mutated files (seeded sample of the slow campaign, no GDAL)', () => {
  it('GeoTIFF: 160 mutants of 10 files (striped, tiled, LZW, deflate, zstd, BigTIFF, ...) are refused naming the file, or read; truncated ones only unchanged', async () => {
    const report = await sample(['GeoTIFF'], 160, 101);
    expect(report.totals.rejected).toBeGreaterThan(60);
    expect(report.totals.byReason['is truncated or corrupt']).toBeGreaterThan(30);
  });

  it('LAS and LAZ: 80 mutants are refused naming the file, or read; truncated ones only unchanged', async () => {
    const report = await sample(['LAS', 'LAZ'], 80, 202);
    expect(report.totals.rejected).toBeGreaterThan(20);
    expect(report.formats.LAZ?.files).toBeGreaterThan(5);
  });

  it('.npy (written by writeNpy): 40 mutants are refused by readNpy naming the file, or read; truncated ones only unchanged', async () => {
    const report = await sample(['npy'], 40, 303);
    expect(report.totals.byReason['is truncated']).toBeGreaterThan(3);
  });

  it('model.json and weight files (saveSiranModel of the tiny model): 50 mutants are refused by loadSiranModel naming the file, or load the same weights', async () => {
    const report = await sample(['model.json', 'model weights'], 50, 404);
    expect(report.totals.rejected).toBeGreaterThan(30);
  });
});

/** Sets an integer in a copy of a TIFF: the `field` of the first directory's entry for `tag`. */
function patchTiff(bytes: Uint8Array, tag: number, field: 'type' | 'value', value: number): Uint8Array {
  const tiff = parseTiffStructure(bytes);
  const entry = tiff?.entries.find((candidate) => candidate.tag === tag);
  if (!tiff || !entry) throw new Error(`no tag ${tag}`);
  const patched = bytes.slice();
  const view = new DataView(patched.buffer);
  if (field === 'type') view.setUint16(entry.at + 2, value, tiff.little);
  else if (entry.type === 3) view.setUint16(entry.valuesAt, value, tiff.little);
  else view.setUint32(entry.valuesAt, value, tiff.little);
  return patched;
}

function flipBits(bytes: Uint8Array, flips: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const flipped = bytes.slice();
  for (const [at, bit] of flips) flipped[at] ^= 1 << bit;
  return flipped;
}

function lasPatch(name: string, patch: (view: DataView) => void): Uint8Array {
  const bytes = fixtureBytes(name);
  patch(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return bytes;
}

describe('regressions found by the fuzz campaign (GDAL refuses these files, or reads other values)', () => {
  it('a Predictor that libtiff refuses (not 1, 2 or 3) is refused, not ignored', async () => {
    // variant_int16_be.tif (deflate): Predictor 1 -> 25; variant_bigtiff.tif (LZW): Predictor 1 -> 0.
    for (const [name, predictor] of [
      ['variant_int16_be.tif', 25],
      ['variant_bigtiff.tif', 0],
    ] as const) {
      const bytes = patchTiff(fixtureBytes(name), 317, 'value', predictor);
      await expect(readRaster(arrayBuffer(bytes))).rejects.toThrow(
        `readRaster: "<ArrayBuffer>" is truncated or corrupt: its Predictor tag is ${predictor}; expected 1 (none), 2 (horizontal differencing) or 3 (floating point)`,
      );
    }
    const integerFloatPredictor = patchTiff(fixtureBytes('variant_int16_predictor.tif'), 317, 'value', 3);
    await expect(readRaster(arrayBuffer(integerFloatPredictor))).rejects.toThrow(
      'it has Predictor 3 (floating point) with SampleFormat 2; expected 3',
    );
  });

  it('a Predictor tag on an uncompressed file is ignored, as libtiff ignores it', async () => {
    // zion_srtm_crop.tif has no Predictor: its PlanarConfiguration entry (value 1, the default) becomes Predictor 2.
    const original = fixtureBytes('zion_srtm_crop.tif');
    const patched = patchTiff(original, 284, 'value', 2);
    const entry = parseTiffStructure(patched)?.entries.find((candidate) => candidate.tag === 284);
    new DataView(patched.buffer).setUint16(entry?.at ?? 0, 317, true);
    const [read, expected] = await Promise.all([
      readRaster(arrayBuffer(patched)),
      readRaster(arrayBuffer(original)),
    ]);
    expect(read.data.data).toEqual(expected.data.data);
  });

  it('a layout tag of a non-integer field type (BitsPerSample as UNDEFINED) is refused', async () => {
    const bytes = patchTiff(fixtureBytes('variant_tiled_lzw.tif'), 258, 'type', 7);
    await expect(readRasterInfo(arrayBuffer(bytes))).rejects.toThrow(
      'is truncated or corrupt: its tag BitsPerSample (258) has field type 7; expected an integer type',
    );
  });

  it('Compression 0 (no codec) is refused, not read as uncompressed', async () => {
    for (const name of ['ign_rgb_crop.tif', 'variant_baseline.tif']) {
      const bytes = patchTiff(fixtureBytes(name), 259, 'value', 0);
      await expect(readRaster(arrayBuffer(bytes), { crs: 32725 })).rejects.toThrow(
        'is truncated or corrupt: its Compression tag is 0; expected a codec',
      );
    }
  });

  it('strip tags beside tile tags (SampleFormat retagged as TileLength by one bit flip) are refused', async () => {
    // The campaign's mutant: bit 4 of byte 130 turns tag 339 (SampleFormat) into 323 (TileLength); libtiff then
    // reads the file as tiled and GDAL reads other values. The other flips hit pixels and a pixel scale.
    const bytes = flipBits(fixtureBytes('zion_srtm_crop.tif'), [
      [1720, 4],
      [1289, 3],
      [244, 6],
      [130, 4],
      [1194, 0],
      [5123, 6],
    ]);
    await expect(readRaster(arrayBuffer(bytes))).rejects.toThrow(
      'is truncated or corrupt: it has both strip tags (StripOffsets, StripByteCounts) and tile tags (TileLength)',
    );
  });

  it('a tag twice in the directory (libtiff reads the first, geotiff.js the last) is refused', async () => {
    // zion_srtm_crop.tif: a run of 0x00 turns tag 339 (SampleFormat, value 1) into 256 (ImageWidth): width 120 or 1.
    const zion = fixtureBytes('zion_srtm_crop.tif');
    for (const [at, length] of [
      [1165, 27],
      [130, 1],
      [1575, 4],
    ])
      zion.fill(0, at, at + length);
    await expect(readRasterInfo(arrayBuffer(zion))).rejects.toThrow(
      'is truncated or corrupt: its image directory has tag ImageWidth (256) twice',
    );
    // ign_rgb_crop.tif: PlanarConfiguration (284) retagged as SamplesPerPixel (277): 3 bands or 1.
    const rgb = fixtureBytes('ign_rgb_crop.tif');
    const planar = parseTiffStructure(rgb)?.entries.find((entry) => entry.tag === 284);
    new DataView(rgb.buffer).setUint16(planar?.at ?? 0, 277, true);
    await expect(readRaster(arrayBuffer(rgb))).rejects.toThrow('has tag SamplesPerPixel (277) twice');
  });

  it('a BigTIFF header whose reserved field is not 0 is refused', async () => {
    const bytes = flipBits(fixtureBytes('variant_bigtiff.tif'), [
      [6, 2],
      [2739, 3],
    ]);
    await expect(readRaster(arrayBuffer(bytes))).rejects.toThrow(
      'is truncated or corrupt: its BigTIFF header has offset size 8 and reserved field 4; expected 8 and 0',
    );
  });

  it('a strip with byte count 0 at a non-zero offset is refused, not read as sparse', async () => {
    // The campaign's mutant: variant_baseline.tif (one uncompressed strip) with StripByteCounts LONG -> BYTE, which
    // reads as a byte count of 0 that libtiff replaces by a guess from the image size (GDAL reads the pixels).
    const retyped = patchTiff(fixtureBytes('variant_baseline.tif'), 279, 'type', 1);
    await expect(readRaster(arrayBuffer(retyped), { crs: 32725 })).rejects.toThrow(
      'its tag StripByteCounts (279) has field type 1; expected SHORT, LONG or LONG8 (3, 4 or 16)',
    );
    const zeroed = patchTiff(fixtureBytes('variant_baseline.tif'), 279, 'value', 0);
    await expect(readRaster(arrayBuffer(zeroed), { crs: 32725 })).rejects.toThrow(
      /is truncated or corrupt: strip 0 has offset \d+ and byte count 0; a sparse block has both 0$/,
    );
  });

  it('an offset table of a signed field type (StripOffsets as SLONG) is refused, as libtiff refuses it', async () => {
    const bytes = patchTiff(fixtureBytes('variant_float64.tif'), 273, 'type', 9);
    await expect(readRasterInfo(arrayBuffer(bytes))).rejects.toThrow(
      'its tag StripOffsets (273) has field type 9; expected SHORT, LONG or LONG8 (3, 4 or 16)',
    );
  });

  it('RowsPerStrip beyond 32 bits (SHORT retyped as SLONG8) is refused, as libtiff refuses it', async () => {
    const bytes = patchTiff(fixtureBytes('variant_baseline.tif'), 278, 'type', 17);
    await expect(readRasterInfo(arrayBuffer(bytes), { crs: 32725 })).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" is truncated or corrupt: it has \d+ rows per strip$/,
    );
  });

  it('a big-endian file with a horizontal predictor reads as libtiff decodes it', async () => {
    // variant_int16_be.tif (big-endian Int16, deflate) with Predictor 1 -> 2: each row is accumulated in int16.
    const original = fixtureBytes('variant_int16_be.tif');
    const [raster, plain] = await Promise.all([
      readRaster(arrayBuffer(patchTiff(original, 317, 'value', 2))),
      readRaster(arrayBuffer(original)),
    ]);
    const [, height, width] = plain.data.shape;
    const expected = new Int16Array(plain.data.data as Int16Array);
    for (let row = 0; row < height; row++) {
      for (let column = 1; column < width; column++) {
        expected[row * width + column] += expected[row * width + column - 1];
      }
    }
    expect(raster.data.data).toEqual(expected);
  });

  it('an LZW strip that does not start with a clear code (a run of 0x00 over its start) is refused, as libtiff refuses it', async () => {
    const bytes = fixtureBytes('variant_bigtiff.tif');
    bytes.fill(0, 1384, 1387);
    await expect(readRaster(arrayBuffer(bytes))).rejects.toThrow(
      'is truncated or corrupt: strip 2 (band 0) failed to decode (LZW: the stream does not start with a clear code; the stream is corrupt)',
    );
  });

  it('LAS: scales of 0 or NaN and NaN offsets are refused as a corrupt header', async () => {
    const cases: Array<[string, (view: DataView) => void]> = [
      ['synthetic_format4.las', (view) => view.setFloat64(131, 0, true)],
      ['synthetic_format8.las', (view) => view.setFloat64(147, Number.NaN, true)],
      ['synthetic_format3.las', (view) => view.setFloat64(155, Number.NaN, true)],
    ];
    for (const [name, patch] of cases) {
      await expect(readPointCloud(lasPatch(name, patch))).rejects.toThrow(
        /^readPointCloud: "<bytes>" is corrupt: its scale factors are \[.*\] and its offsets \[.*\]; expected finite numbers, scales not 0$/,
      );
    }
  });

  it('LAS: a header shorter than its version needs (1.3 -> 1.4 with 235 bytes) is refused', async () => {
    const bytes = lasPatch('synthetic_format5.las', (view) => view.setUint8(25, 4));
    await expect(readPointCloud(bytes)).rejects.toThrow(
      'readPointCloud: "<bytes>" is corrupt: its header is 235 bytes; LAS 1.4 needs at least 375',
    );
  });

  it('LAS: VLRs that run into the point data (VLR count 1 -> 2, point data offset 835 -> 815, a flipped offset bit) are refused', async () => {
    const cases: Array<[string, (view: DataView) => void]> = [
      ['synthetic_format9.las', (view) => view.setUint32(100, 2, true)],
      ['synthetic_format10.las', (view) => view.setUint32(96, 815, true)],
      ['synthetic_format5.las', (view) => view.setUint8(97, view.getUint8(97) ^ 1)],
    ];
    for (const [name, patch] of cases) {
      const bytes = lasPatch(name, patch);
      await expect(readPointCloud(bytes), name).rejects.toThrow(
        /^readPointCloud: "<bytes>" is (corrupt: its header and VLRs end at byte \d+, after the start of its point data at byte \d+|truncated inside its VLRs)$/,
      );
    }
    const offsetCut = lasPatch('synthetic_format10.las', (view) => view.setUint32(96, 815, true));
    await expect(readPointCloud(offsetCut)).rejects.toThrow(
      'its header and VLRs end at byte 835, after the start',
    );
  });

  it('LAZ: point format 8 in a file that says LAS 1.3 (read as 0 points before) is refused', async () => {
    const bytes = fixtureBytes('ign_77055_627760.laz');
    bytes[25] = 3;
    await expect(readPointCloud(bytes)).rejects.toThrow(
      'readPointCloud: "<bytes>" is corrupt: it has point format 8, which needs LAS 1.4, but says LAS 1.3',
    );
  });

  it('LAZ: a point count that does not match the chunk table is refused', async () => {
    const bytes = fixtureBytes('ign_77055_627760.laz');
    new DataView(bytes.buffer).setBigUint64(247, 110_653n, true);
    await expect(readPointCloud(bytes)).rejects.toThrow(
      'it claims 110653 points in chunks of 50000, which need 3 chunks, but its chunk table lists 2',
    );
  });

  it('LAZ: a record length that differs from the LASzip VLR items (laz-perf decodes it slowly, then throws; one ran past the time limit) is refused', async () => {
    const bytes = fixtureBytes('ign_77055_627760.laz');
    new DataView(bytes.buffer).setUint16(105, 39, true);
    await expect(readPointCloud(bytes)).rejects.toThrow(
      'readPointCloud: "<bytes>" is corrupt: its LASzip VLR describes 38-byte point records, its header 39-byte ones',
    );
  });

  it('LAZ: a read leaves no process listener behind (each laz-perf instance adds two, which would hold its memory)', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    for (let read = 0; read < 3; read++) await readPointCloud(fixtureBytes('ign_77055_627760.laz'));
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(
      before,
    );
  });

  it('LAZ: a corrupt chunk reads the same values every time, whatever was read before, and as laz-perf reads it alone', async () => {
    // The campaign's mutant of ign_77055_627760.laz: laz-perf reads outside the file's bytes on the corrupt
    // chunk, so with one shared WebAssembly instance the values depended on the heap earlier reads left.
    const mutant = flipBits(fixtureBytes('ign_77055_627760.laz'), [
      [1609, 6],
      [198144, 4],
      [214260, 3],
      [808, 4],
      [180424, 5],
    ]);
    const digest = async () => {
      const cloud = await readPointCloud(mutant);
      const { x, y, z, intensity, returnNumber, numberOfReturns, classification } = cloud;
      return valuesDigest([x, y, z, intensity, returnNumber, numberOfReturns, classification]);
    };
    const first = await digest();
    await readPointCloud(fixtureBytes('autzen_trim.laz'));
    expect(await digest()).toBe(first);
    expect((await lazReference(mutant)).digest).toBe(first);
  });
});
